// Original file: flotilla/v1/agent.proto


export interface RegisterResponse {
  'clusterId'?: (string);
  /**
   * Secret; shown once, stored hashed on the hub.
   */
  'credential'?: (string);
  'labels'?: ({[key: string]: string});
  /**
   * Seconds between heartbeats the hub expects; a cluster silent for three windows is Stale.
   */
  'heartbeatSeconds'?: (number);
}

export interface RegisterResponse__Output {
  'clusterId': (string);
  /**
   * Secret; shown once, stored hashed on the hub.
   */
  'credential': (string);
  'labels': ({[key: string]: string});
  /**
   * Seconds between heartbeats the hub expects; a cluster silent for three windows is Stale.
   */
  'heartbeatSeconds': (number);
}
