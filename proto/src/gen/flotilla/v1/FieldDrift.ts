// Original file: flotilla/v1/agent.proto


export interface FieldDrift {
  /**
   * JSON pointer of the drifted field.
   */
  'path'?: (string);
  /**
   * JSON-encoded values; empty when the field is absent.
   */
  'desiredJson'?: (string);
  'liveJson'?: (string);
}

export interface FieldDrift__Output {
  /**
   * JSON pointer of the drifted field.
   */
  'path': (string);
  /**
   * JSON-encoded values; empty when the field is absent.
   */
  'desiredJson': (string);
  'liveJson': (string);
}
