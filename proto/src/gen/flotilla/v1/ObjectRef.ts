// Original file: flotilla/v1/agent.proto


export interface ObjectRef {
  'apiVersion'?: (string);
  'kind'?: (string);
  'namespace'?: (string);
  'name'?: (string);
}

export interface ObjectRef__Output {
  'apiVersion': (string);
  'kind': (string);
  'namespace': (string);
  'name': (string);
}
