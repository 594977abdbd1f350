import { isIP } from 'node:net';
import { resolve } from 'node:path';
import type { TlsConfig } from './hub-tls.js';

export interface TlsFlags {
  tls?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-san'?: string[];
  'tls-client-ca'?: string;
  mtls?: boolean;
  insecure?: boolean;
}

const DNS_NAME = /^(\*\.)?[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

function parseBool(value: string | undefined, name: string, fail: (m: string) => Error): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (['1', 'true', 'yes'].includes(value.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(value.toLowerCase())) return false;
  throw fail(`${name}: "${value}" is not true or false`);
}

/**
 * Flags win over FLOTILLA_TLS* variables. Plaintext is never a default: it takes --insecure, and
 * then no other TLS setting may be given.
 */
export function parseTlsConfig(
  env: Readonly<Record<string, string | undefined>>,
  v: TlsFlags,
  fail: (message: string) => Error,
): TlsConfig {
  const insecure = v.insecure ?? parseBool(env.FLOTILLA_INSECURE, 'FLOTILLA_INSECURE', fail) ?? false;
  const certFile = v['tls-cert'] ?? env.FLOTILLA_TLS_CERT;
  const keyFile = v['tls-key'] ?? env.FLOTILLA_TLS_KEY;
  const clientCaFile = v['tls-client-ca'] ?? env.FLOTILLA_TLS_CLIENT_CA;
  const mtls = v.mtls ?? parseBool(env.FLOTILLA_MTLS, 'FLOTILLA_MTLS', fail) ?? false;
  const modeText = v.tls ?? env.FLOTILLA_TLS;
  const sans = [...(v['tls-san'] ?? []), ...(env.FLOTILLA_TLS_SAN ? [env.FLOTILLA_TLS_SAN] : [])]
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  if (insecure) {
    const given = Object.entries({ '--tls': modeText, '--tls-cert': certFile, '--tls-client-ca': clientCaFile })
      .filter(([, val]) => val)
      .map(([k]) => k);
    if (mtls) given.push('--mtls');
    if (given.length > 0) throw fail(`--insecure turns TLS off; drop ${given.join(', ')} or drop --insecure`);
    return { mode: 'insecure', sans: [], mtls: false };
  }
  if (modeText === 'off' || modeText === 'none')
    throw fail(`--tls ${modeText}: plaintext takes --insecure (tests and development only)`);
  if (modeText !== undefined && modeText !== 'auto' && modeText !== 'files') {
    throw fail(`--tls / FLOTILLA_TLS: "${modeText}" is not auto or files`);
  }
  if (Boolean(certFile) !== Boolean(keyFile)) throw fail('--tls-cert and --tls-key go together: give both or neither');
  const mode = modeText ?? (certFile ? 'files' : 'auto');
  if (mode === 'files' && !certFile) throw fail('--tls files needs --tls-cert and --tls-key');
  if (mode === 'auto' && certFile)
    throw fail('--tls auto issues its own certificate; drop --tls-cert/--tls-key or use --tls files');
  const bad = sans.find((s) => !isIP(s) && !DNS_NAME.test(s));
  if (bad !== undefined) throw fail(`--tls-san / FLOTILLA_TLS_SAN: "${bad}" is neither a DNS name nor an IP address`);
  return {
    mode,
    sans,
    mtls: mtls || Boolean(clientCaFile),
    ...(certFile && keyFile ? { certFile: resolve(certFile), keyFile: resolve(keyFile) } : {}),
    ...(clientCaFile ? { clientCaFile: resolve(clientCaFile) } : {}),
  };
}
