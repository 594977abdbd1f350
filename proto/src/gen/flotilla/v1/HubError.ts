// Original file: flotilla/v1/agent.proto


export interface HubError {
  'code'?: (string);
  'message'?: (string);
}

export interface HubError__Output {
  'code': (string);
  'message': (string);
}
