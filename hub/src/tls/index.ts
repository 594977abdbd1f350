// Transport security of the hub's gRPC endpoint: its own CA, server certificate, mutual TLS.
export {
  setupHubTls,
  loadOrCreateAuthority,
  checkClientCertificate,
  tlsPaths,
  TlsSetupError,
  DEFAULT_SANS,
  type HubTls,
  type TlsConfig,
  type PeerCall,
} from './hub-tls.js';
export { parseTlsConfig } from './config.js';
export { caCommand, agentTrustHint } from './ca-command.js';
