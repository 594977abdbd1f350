// Original file: flotilla/v1/agent.proto

import type { DeploymentStatus as _flotilla_v1_DeploymentStatus, DeploymentStatus__Output as _flotilla_v1_DeploymentStatus__Output } from '../../flotilla/v1/DeploymentStatus.js';

export interface StatusBatch {
  'statuses'?: (_flotilla_v1_DeploymentStatus)[];
}

export interface StatusBatch__Output {
  'statuses': (_flotilla_v1_DeploymentStatus__Output)[];
}
