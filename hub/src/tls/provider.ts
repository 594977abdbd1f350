import type { TlsSource } from '../protocol/h2/server.js';

/**
 * The server's certificate and the client CA, held in memory: a renewed server certificate takes
 * effect for new connections without restarting the server.
 */
export class CertificateProvider implements TlsSource {
  private identity: { cert: string; key: string } | undefined;
  private ca: string | undefined;
  private readonly listeners = new Set<() => void>();

  setIdentity(certificatePem: string, privateKeyPem: string): void {
    this.identity = { cert: certificatePem, key: privateKeyPem };
    for (const l of this.listeners) l();
  }

  setCa(caPem: string): void {
    this.ca = caPem;
    for (const l of this.listeners) l();
  }

  certificate(): string {
    return this.identity?.cert ?? '';
  }

  options(): { key: string; cert: string; ca?: string } {
    if (!this.identity) throw new Error('no server certificate loaded');
    return { ...this.identity, ...(this.ca ? { ca: this.ca } : {}) };
  }

  onChange(listener: () => void): void {
    this.listeners.add(listener);
  }
}
