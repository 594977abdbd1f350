// Original file: flotilla/v1/agent.proto


export interface RenewClientCertificateRequest {
  /**
   * PKCS#10 request (PEM, ECDSA P-256) for the new key.
   */
  'clientCsrPem'?: (string);
}

export interface RenewClientCertificateRequest__Output {
  /**
   * PKCS#10 request (PEM, ECDSA P-256) for the new key.
   */
  'clientCsrPem': (string);
}
