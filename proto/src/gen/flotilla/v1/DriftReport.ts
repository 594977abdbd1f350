// Original file: flotilla/v1/agent.proto

import type { ObjectRef as _flotilla_v1_ObjectRef, ObjectRef__Output as _flotilla_v1_ObjectRef__Output } from '../../flotilla/v1/ObjectRef.js';
import type { FieldDrift as _flotilla_v1_FieldDrift, FieldDrift__Output as _flotilla_v1_FieldDrift__Output } from '../../flotilla/v1/FieldDrift.js';
import type { Long } from '@grpc/proto-loader';

export interface DriftReport {
  /**
   * The deployment whose object drifted: "<environment>/<target>", as in DeploymentRef.
   */
  'deployment'?: (string);
  'object'?: (_flotilla_v1_ObjectRef | null);
  'fields'?: (_flotilla_v1_FieldDrift)[];
  /**
   * The field manager that last wrote the drifted fields, from managedFields.
   */
  'manager'?: (string);
  'changedAtUnixMs'?: (number | string | Long);
  'detectedAtUnixMs'?: (number | string | Long);
  /**
   * True when self-heal restored the desired values.
   */
  'corrected'?: (boolean);
  /**
   * When self-heal restored them, by the agent's clock (0: not corrected, or an agent that does not say).
   * The hub keeps the agent's times, which may be long before it hears of them (a report queued
   * while the hub was away), clamped to not after the time it received the report.
   */
  'correctedAtUnixMs'?: (number | string | Long);
}

export interface DriftReport__Output {
  /**
   * The deployment whose object drifted: "<environment>/<target>", as in DeploymentRef.
   */
  'deployment': (string);
  'object': (_flotilla_v1_ObjectRef__Output | null);
  'fields': (_flotilla_v1_FieldDrift__Output)[];
  /**
   * The field manager that last wrote the drifted fields, from managedFields.
   */
  'manager': (string);
  'changedAtUnixMs': (string);
  'detectedAtUnixMs': (string);
  /**
   * True when self-heal restored the desired values.
   */
  'corrected': (boolean);
  /**
   * When self-heal restored them, by the agent's clock (0: not corrected, or an agent that does not say).
   * The hub keeps the agent's times, which may be long before it hears of them (a report queued
   * while the hub was away), clamped to not after the time it received the report.
   */
  'correctedAtUnixMs': (string);
}
