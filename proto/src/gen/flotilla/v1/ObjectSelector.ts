// Original file: flotilla/v1/agent.proto


export interface ObjectSelector {
  'apiVersion'?: (string);
  'kind'?: (string);
  'namespace'?: (string);
  'name'?: (string);
}

export interface ObjectSelector__Output {
  'apiVersion': (string);
  'kind': (string);
  'namespace': (string);
  'name': (string);
}
