// Original file: flotilla/v1/agent.proto


export interface RenewClientCertificateResponse {
  'clientCertificatePem'?: (string);
}

export interface RenewClientCertificateResponse__Output {
  'clientCertificatePem': (string);
}
