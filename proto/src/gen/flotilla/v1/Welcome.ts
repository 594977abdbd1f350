// Original file: flotilla/v1/agent.proto


export interface Welcome {
  'clusterId'?: (string);
  'heartbeatSeconds'?: (number);
  'hubVersion'?: (string);
  /**
   * The hub folds AgentMessage.statuses. An older hub leaves it unset: the agent then sends each
   * status on its own.
   */
  'statusBatches'?: (boolean);
}

export interface Welcome__Output {
  'clusterId': (string);
  'heartbeatSeconds': (number);
  'hubVersion': (string);
  /**
   * The hub folds AgentMessage.statuses. An older hub leaves it unset: the agent then sends each
   * status on its own.
   */
  'statusBatches': (boolean);
}
