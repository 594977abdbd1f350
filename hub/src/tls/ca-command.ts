import { existsSync } from 'node:fs';
import { pki } from '@flotilla/proto/runtime';
import { loadOrCreateAuthority, tlsPaths } from './hub-tls.js';

export const CA_USAGE = 'flotilla-hub ca <show|hash> [--data-dir DIR]';

/**
 * `flotilla-hub ca show` prints the hub CA certificate (for an agent's --hub-ca file or Secret);
 * `flotilla-hub ca hash` prints its pin (for an agent's --hub-ca-hash). Creates the CA when missing,
 * so both work before the first `serve`.
 */
export function caCommand(sub: string | undefined, dataDir: string, out: (text: string) => void): void {
  if (sub !== 'show' && sub !== 'hash') throw new Error(`ca: unknown subcommand "${sub ?? ''}"; use: ${CA_USAGE}`);
  const { certificatePem } = loadOrCreateAuthority(dataDir);
  out(sub === 'show' ? certificatePem : `${pki.publicKeyPin(certificatePem)}\n`);
}

/** The agent flag that trusts this hub's CA, when the hub has one (for `tokens create` to print). */
export function agentTrustHint(dataDir: string): string | undefined {
  const { caCert } = tlsPaths(dataDir);
  if (!existsSync(caCert)) return undefined;
  return `--hub-ca-hash ${pki.publicKeyPin(loadOrCreateAuthority(dataDir).certificatePem)}`;
}
