import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as pki from '@flotilla/proto/pki';
import { Agent, fetch as undiciFetch } from 'undici';
import type { Connection } from './config.js';
import { HubTrustError, PlaintextRefusedError, UsageError } from './errors.js';

/** True for 127.0.0.0/8, ::1 and localhost: plain HTTP there never leaves the machine. */
export function isLoopbackUrl(hubUrl: string): boolean {
  const h = new URL(hubUrl).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** Refuses to send a token in clear text across the network, unless told to (--insecure-http). */
export function checkTransport(conn: Pick<Connection, 'hubUrl' | 'insecureHttp'>): void {
  if (!conn.hubUrl.startsWith('http:') || conn.insecureHttp || isLoopbackUrl(conn.hubUrl)) return;
  throw new PlaintextRefusedError(
    `refusing to send an API token over plain HTTP to ${new URL(conn.hubUrl).host}: anyone on the way could read it`,
    {
      hint:
        `use ${conn.hubUrl.replace(/^http:/, 'https:')} (the hub serves HTTPS off loopback), or, ` +
        'knowing the risk, `fleet login --insecure-http` (FLOTILLA_INSECURE_HTTP=1)',
    },
  );
}

/**
 * The fetch a command talks to the hub with: Node's own, trusting the system's CAs; or, when the hub's
 * CA was given at login, one that trusts that CA (and still checks the hub's name).
 */
export function hubFetch(conn: Pick<Connection, 'caCertificate'>): typeof fetch {
  if (!conn.caCertificate) return fetch;
  const dispatcher = new Agent({ connect: { ca: conn.caCertificate } });
  return ((input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}

/** The CA to trust from a file: a PEM certificate, refused with what is wrong. */
export function caFromPem(pem: string, file: string): string {
  try {
    const cert = new X509Certificate(pem);
    return cert.toString();
  } catch (err) {
    throw new UsageError(`--ca-file ${file} is not a PEM certificate`, {
      hint: 'on the hub: flotilla-hub ca show > hub-ca.crt',
      cause: err,
    });
  }
}

/**
 * Finds, in the chain the hub presents, the CA whose public key matches `pin` (as agents do with
 * --hub-ca-hash), without trusting anything before the match; the caller then trusts only that CA.
 */
export async function caFromPin(hubUrl: string, pin: string): Promise<string> {
  if (!pki.PIN_FORMAT.test(pin)) {
    throw new UsageError(`--ca-hash "${pin}" is not sha256:<64 hex digits>`, {
      hint: 'on the hub: flotilla-hub ca hash (it is also in the hub log line "listening")',
    });
  }
  const url = new URL(hubUrl);
  if (url.protocol !== 'https:') throw new UsageError('--ca-hash needs an https:// hub URL');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let chain: X509Certificate[];
  try {
    chain = await pki.peerChain({ host, port: Number(url.port || 443) });
  } catch (err) {
    throw new HubTrustError(`cannot read the certificate of ${url.host}: ${(err as Error).message}`, { cause: err });
  }
  const found = pki.pinnedCaOf(chain, pin);
  if ('why' in found) {
    throw new HubTrustError(`the hub at ${url.host} is not the one pinned: ${found.why}`, {
      hint: 'check the hash on the hub with `flotilla-hub ca hash`; do not log in to a hub you cannot verify',
    });
  }
  return found.ca.toString();
}

const UNTRUSTED =
  /self[- ]signed certificate|unable to get local issuer|unable to verify the first certificate|certificate signature failure|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT/i;

/** A TLS failure said in terms of what to do, or undefined for other network errors. */
export function trustProblem(hubUrl: string, why: string): HubTrustError | undefined {
  const host = new URL(hubUrl).host;
  if (UNTRUSTED.test(why)) {
    return new HubTrustError(`the hub at ${host} presented a certificate this CLI does not trust (${why})`, {
      hint:
        "give the hub's CA: `fleet login --ca-file hub-ca.crt` (flotilla-hub ca show) or pin it: " +
        '`fleet login --ca-hash sha256:...` (flotilla-hub ca hash)',
    });
  }
  if (/altnames|ERR_TLS_CERT_ALTNAME_INVALID|Hostname\/IP does not match/i.test(why)) {
    return new HubTrustError(`the certificate of the hub at ${host} does not name ${new URL(hubUrl).hostname}`, {
      hint: "add the name to the hub's --tls-san, or log in with a URL the certificate names",
    });
  }
  if (/certificate has expired|not yet valid|CERT_HAS_EXPIRED/i.test(why)) {
    return new HubTrustError(`the certificate of the hub at ${host} is outside its validity period`, {
      hint: 'renew it on the hub',
    });
  }
  return undefined;
}
