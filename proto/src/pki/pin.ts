import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { connect } from 'node:tls';
import { publicKeyPin } from './x509.js';

export interface PeerAddress {
  host: string;
  port: number;
  /** The TLS server name; by default the host when it is a name (an IP address sends none, RFC 6066). */
  serverName?: string;
  /** ALPN, e.g. ['h2'] for gRPC; the handshake does not depend on it. */
  alpn?: string[];
  timeoutMs?: number;
}

/**
 * The certificate chain a TLS server presents, read WITHOUT trusting it: only for finding the CA that
 * matches a pin, which the caller then trusts for a real, verified connection.
 */
export function peerChain(a: PeerAddress): Promise<X509Certificate[]> {
  return new Promise((resolve, reject) => {
    const name = a.serverName ?? (isIP(a.host) ? undefined : a.host);
    const socket = connect({
      host: a.host,
      port: a.port,
      ...(name ? { servername: name } : {}),
      rejectUnauthorized: false,
      ...(a.alpn ? { ALPNProtocols: a.alpn } : {}),
    });
    const ms = a.timeoutMs ?? 10_000;
    socket.setTimeout(ms, () => socket.destroy(new Error(`timed out after ${ms / 1000} s`)));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const chain: X509Certificate[] = [];
      for (
        let c = socket.getPeerX509Certificate();
        c && !chain.some((x) => x.fingerprint256 === c?.fingerprint256);
        c = c.issuerCertificate
      ) {
        chain.push(c);
      }
      socket.destroy();
      resolve(chain);
    });
  });
}

/**
 * The CA of `chain` whose public key matches `pin` (sha256:<hex>, see publicKeyPin), provided it
 * signed the leaf; otherwise why not, for a message.
 */
export function pinnedCaOf(chain: readonly X509Certificate[], pin: string): { ca: X509Certificate } | { why: string } {
  const [leaf] = chain;
  const ca = chain.find((c) => publicKeyPin(c.toString()) === pin);
  if (!leaf || !ca) {
    const seen = chain.map((c) => `${c.subject.replace(/\n/g, ',')} (${publicKeyPin(c.toString())})`);
    return { why: `it presented no CA matching ${pin} (its chain: ${seen.join('; ') || 'empty'})` };
  }
  if (ca !== leaf && !(leaf.checkIssued(ca) && leaf.verify(ca.publicKey))) {
    return { why: 'it sent the pinned CA but its certificate is not signed by it' };
  }
  return { ca };
}

export const PIN_FORMAT = /^sha256:[0-9a-f]{64}$/;
