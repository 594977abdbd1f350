import type { experimental } from '@grpc/grpc-js';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/**
 * Feeds grpc-js the server's certificate and the client CA from memory, so that a renewed server
 * certificate takes effect for new connections without restarting the server.
 */
export class CertificateProvider implements experimental.CertificateProvider {
  private ca: { caCertificate: Buffer } | null = null;
  private identity: { certificate: Buffer; privateKey: Buffer } | null = null;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  setIdentity(certificatePem: string, privateKeyPem: string): void {
    this.identity = { certificate: Buffer.from(certificatePem), privateKey: Buffer.from(privateKeyPem) };
    for (const l of this.identityListeners) l(this.identity);
  }

  setCa(caPem: string): void {
    this.ca = { caCertificate: Buffer.from(caPem) };
    for (const l of this.caListeners) l(this.ca);
  }

  certificate(): string {
    return this.identity?.certificate.toString() ?? '';
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    // Later, not now: grpc-js registers the server's watcher only after adding this listener.
    queueMicrotask(() => listener(this.ca));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    queueMicrotask(() => listener(this.identity));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}
