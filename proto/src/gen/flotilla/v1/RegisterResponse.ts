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
  /**
   * The client certificate (PEM) issued for client_csr_pem; empty when none was asked for or the
   * hub does not issue them (its client CA belongs to the operator).
   */
  'clientCertificatePem'?: (string);
  /**
   * The hub's CA certificate (PEM), when it has one: what signed the server and client certificates.
   */
  'caCertificatePem'?: (string);
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
  /**
   * The client certificate (PEM) issued for client_csr_pem; empty when none was asked for or the
   * hub does not issue them (its client CA belongs to the operator).
   */
  'clientCertificatePem': (string);
  /**
   * The hub's CA certificate (PEM), when it has one: what signed the server and client certificates.
   */
  'caCertificatePem': (string);
}
