// Original file: flotilla/v1/agent.proto


/**
 * A CEL health rule for one kind (BundleOptions.health_checks).
 */
export interface HealthCheck {
  /**
   * Its group decides which objects it covers, in any version ("cert-manager.io/v1").
   */
  'apiVersion'?: (string);
  'kind'?: (string);
  /**
   * CEL expressions over the object, whose top-level fields are the variables. Tried in the order
   * in_progress, failed, current: the first that is true decides; none: InProgress. Empty: skipped.
   */
  'current'?: (string);
  'inProgress'?: (string);
  'failed'?: (string);
}

/**
 * A CEL health rule for one kind (BundleOptions.health_checks).
 */
export interface HealthCheck__Output {
  /**
   * Its group decides which objects it covers, in any version ("cert-manager.io/v1").
   */
  'apiVersion': (string);
  'kind': (string);
  /**
   * CEL expressions over the object, whose top-level fields are the variables. Tried in the order
   * in_progress, failed, current: the first that is true decides; none: InProgress. Empty: skipped.
   */
  'current': (string);
  'inProgress': (string);
  'failed': (string);
}
