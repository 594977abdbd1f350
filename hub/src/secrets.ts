import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FlotillaError } from '@flotilla/proto';

export class SecretError extends FlotillaError {
  readonly code = 'SECRET';
}

const PREFIX = 'sealed:v1:';

/**
 * Seals secrets the hub must be able to read back (webhook secrets, Git passwords and tokens) with
 * AES-256-GCM under a key kept in a file of its own (mode 0600), so the database never holds them in
 * clear. Credentials the hub only needs to verify (agent credentials, API tokens) are hashed instead.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** Reads the key file, creating it with a fresh random key the first time. */
  static loadOrCreate(keyFile: string): SecretBox {
    if (!existsSync(keyFile)) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    }
    const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
    if (key.length !== 32)
      throw new SecretError(`${keyFile} does not hold a 256-bit base64 key; restore it from backup`);
    return new SecretBox(key);
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string, what: string): string {
    if (!SecretBox.isSealed(sealed)) throw new SecretError(`${what} is not a sealed secret`);
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new SecretError(`${what} cannot be opened with this hub's key (was the key file replaced?)`, {
        cause: err,
      });
    }
  }
}
