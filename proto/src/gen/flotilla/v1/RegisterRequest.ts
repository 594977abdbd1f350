// Original file: flotilla/v1/agent.proto


export interface RegisterRequest {
  'token'?: (string);
  'clusterName'?: (string);
  'agentVersion'?: (string);
  'kubernetesVersion'?: (string);
  /**
   * Labels the agent reports about itself; the token's labels take precedence.
   */
  'labels'?: ({[key: string]: string});
}

export interface RegisterRequest__Output {
  'token': (string);
  'clusterName': (string);
  'agentVersion': (string);
  'kubernetesVersion': (string);
  /**
   * Labels the agent reports about itself; the token's labels take precedence.
   */
  'labels': ({[key: string]: string});
}
