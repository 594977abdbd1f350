// Original file: flotilla/v1/agent.proto

export const ObjectHealth = {
  OBJECT_HEALTH_UNSPECIFIED: 'OBJECT_HEALTH_UNSPECIFIED',
  OBJECT_HEALTH_READY: 'OBJECT_HEALTH_READY',
  OBJECT_HEALTH_IN_PROGRESS: 'OBJECT_HEALTH_IN_PROGRESS',
  OBJECT_HEALTH_FAILED: 'OBJECT_HEALTH_FAILED',
  OBJECT_HEALTH_UNKNOWN: 'OBJECT_HEALTH_UNKNOWN',
} as const;

export type ObjectHealth =
  | 'OBJECT_HEALTH_UNSPECIFIED'
  | 0
  | 'OBJECT_HEALTH_READY'
  | 1
  | 'OBJECT_HEALTH_IN_PROGRESS'
  | 2
  | 'OBJECT_HEALTH_FAILED'
  | 3
  | 'OBJECT_HEALTH_UNKNOWN'
  | 4

export type ObjectHealth__Output = typeof ObjectHealth[keyof typeof ObjectHealth]
