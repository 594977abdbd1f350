// Original file: flotilla/v1/agent.proto


export interface RegisterRequest {
  'token'?: (string);
  'clusterName'?: (string);
  'agentVersion'?: (string);
  'kubernetesVersion'?: (string);
  /**
   * Ignored by the hub: a cluster's labels come from the hub's API and its registration token, never
   * from its agent (an agent reports facts about itself, it does not choose where it belongs).
   */
  'labels'?: ({[key: string]: string});
  /**
   * PKCS#10 request (PEM, ECDSA P-256) for a client certificate. When the hub is its own CA it
   * answers with a certificate for this key, naming the cluster; the private key never leaves the agent.
   */
  'clientCsrPem'?: (string);
  /**
   * A random value the agent keeps across the retries of one registration. When the answer to the
   * first attempt was lost, a retry with the same token and key is answered again (with a fresh
   * credential) instead of being refused as a replay (TOKEN_USED).
   */
  'retryKey'?: (string);
}

export interface RegisterRequest__Output {
  'token': (string);
  'clusterName': (string);
  'agentVersion': (string);
  'kubernetesVersion': (string);
  /**
   * Ignored by the hub: a cluster's labels come from the hub's API and its registration token, never
   * from its agent (an agent reports facts about itself, it does not choose where it belongs).
   */
  'labels': ({[key: string]: string});
  /**
   * PKCS#10 request (PEM, ECDSA P-256) for a client certificate. When the hub is its own CA it
   * answers with a certificate for this key, naming the cluster; the private key never leaves the agent.
   */
  'clientCsrPem': (string);
  /**
   * A random value the agent keeps across the retries of one registration. When the answer to the
   * first attempt was lost, a retry with the same token and key is answered again (with a fresh
   * credential) instead of being refused as a replay (TOKEN_USED).
   */
  'retryKey': (string);
}
