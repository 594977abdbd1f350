// Original file: flotilla/v1/agent.proto


export interface Welcome {
  'clusterId'?: (string);
  'heartbeatSeconds'?: (number);
  'hubVersion'?: (string);
}

export interface Welcome__Output {
  'clusterId': (string);
  'heartbeatSeconds': (number);
  'hubVersion': (string);
}
