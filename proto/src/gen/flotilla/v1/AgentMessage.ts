// Original file: flotilla/v1/agent.proto

import type { Hello as _flotilla_v1_Hello, Hello__Output as _flotilla_v1_Hello__Output } from '../../flotilla/v1/Hello.js';
import type { DeploymentStatus as _flotilla_v1_DeploymentStatus, DeploymentStatus__Output as _flotilla_v1_DeploymentStatus__Output } from '../../flotilla/v1/DeploymentStatus.js';
import type { DriftReport as _flotilla_v1_DriftReport, DriftReport__Output as _flotilla_v1_DriftReport__Output } from '../../flotilla/v1/DriftReport.js';
import type { Heartbeat as _flotilla_v1_Heartbeat, Heartbeat__Output as _flotilla_v1_Heartbeat__Output } from '../../flotilla/v1/Heartbeat.js';
import type { StatusBatch as _flotilla_v1_StatusBatch, StatusBatch__Output as _flotilla_v1_StatusBatch__Output } from '../../flotilla/v1/StatusBatch.js';

export interface AgentMessage {
  'hello'?: (_flotilla_v1_Hello | null);
  'status'?: (_flotilla_v1_DeploymentStatus | null);
  'drift'?: (_flotilla_v1_DriftReport | null);
  'heartbeat'?: (_flotilla_v1_Heartbeat | null);
  /**
   * Several deployments' statuses in one message: what an agent reports together (every deployment
   * it holds, after a reconnect; the deployments one desired state applied). One message costs the
   * hub one receive instead of one per deployment. Sent only to a hub whose Welcome sets status_batches.
   */
  'statuses'?: (_flotilla_v1_StatusBatch | null);
  'msg'?: "hello"|"status"|"drift"|"heartbeat"|"statuses";
}

export interface AgentMessage__Output {
  'hello'?: (_flotilla_v1_Hello__Output | null);
  'status'?: (_flotilla_v1_DeploymentStatus__Output | null);
  'drift'?: (_flotilla_v1_DriftReport__Output | null);
  'heartbeat'?: (_flotilla_v1_Heartbeat__Output | null);
  /**
   * Several deployments' statuses in one message: what an agent reports together (every deployment
   * it holds, after a reconnect; the deployments one desired state applied). One message costs the
   * hub one receive instead of one per deployment. Sent only to a hub whose Welcome sets status_batches.
   */
  'statuses'?: (_flotilla_v1_StatusBatch__Output | null);
  'msg'?: "hello"|"status"|"drift"|"heartbeat"|"statuses";
}
