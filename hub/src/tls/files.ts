import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FlotillaError } from '@flotilla/proto';

export class TlsFileError extends FlotillaError {
  readonly code = 'TLS_FILE';
}

/** Reads a PEM file; the error names the file and what it was meant to hold. */
export function readPem(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TlsFileError(`cannot read ${what} from ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!text.includes('-----BEGIN ')) throw new TlsFileError(`${path} (${what}) holds no PEM block`);
  return text;
}

function writeAtomic(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode); // the umask may have narrowed or the file existed with another mode
  renameSync(tmp, path);
}

/** A private key: readable by the owner only (0600). */
export const writePrivate = (path: string, pem: string): void => writeAtomic(path, pem, 0o600);

export const writePublic = (path: string, pem: string): void => writeAtomic(path, pem, 0o644);
