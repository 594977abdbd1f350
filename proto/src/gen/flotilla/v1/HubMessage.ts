// Original file: flotilla/v1/agent.proto

import type { Welcome as _flotilla_v1_Welcome, Welcome__Output as _flotilla_v1_Welcome__Output } from '../../flotilla/v1/Welcome.js';
import type { DesiredState as _flotilla_v1_DesiredState, DesiredState__Output as _flotilla_v1_DesiredState__Output } from '../../flotilla/v1/DesiredState.js';
import type { Ping as _flotilla_v1_Ping, Ping__Output as _flotilla_v1_Ping__Output } from '../../flotilla/v1/Ping.js';
import type { HubError as _flotilla_v1_HubError, HubError__Output as _flotilla_v1_HubError__Output } from '../../flotilla/v1/HubError.js';

export interface HubMessage {
  'welcome'?: (_flotilla_v1_Welcome | null);
  'desired'?: (_flotilla_v1_DesiredState | null);
  'ping'?: (_flotilla_v1_Ping | null);
  'error'?: (_flotilla_v1_HubError | null);
  'msg'?: "welcome"|"desired"|"ping"|"error";
}

export interface HubMessage__Output {
  'welcome'?: (_flotilla_v1_Welcome__Output | null);
  'desired'?: (_flotilla_v1_DesiredState__Output | null);
  'ping'?: (_flotilla_v1_Ping__Output | null);
  'error'?: (_flotilla_v1_HubError__Output | null);
  'msg'?: "welcome"|"desired"|"ping"|"error";
}
