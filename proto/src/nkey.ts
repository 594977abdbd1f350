import { createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { FlotillaError } from './errors.js';

export class NkeyError extends FlotillaError {
  readonly code = 'NKEY_INVALID';
}

/**
 * An nkey (NATS's Ed25519 key: base32 of a prefix, the key and a CRC-16) that signs with Node's
 * crypto. @nats-io/nkeys does Ed25519 in JavaScript: measured here, 13.6 ms a signature, and as much
 * again to work out the public key, which its authenticators do on every connect. A NATS agent
 * spent about 40 ms of CPU per connect; 1,000 agents dialling after a restart outlasted nats-server's
 * 2 s authentication timeout, were dropped and dialled again. Through Node's crypto a signature
 * takes tens of microseconds. Ed25519 signatures are deterministic: the bytes are the same.
 */
export interface NkeySigner {
  /** The public key, nkey-encoded (U… for a user, A… for an account, O… for an operator). */
  readonly publicKey: string;
  sign(data: Uint8Array): Buffer;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Prefix bytes (the first base32 letter): S for a seed. */
const SEED = 18 << 3;
/** The PKCS #8 (RFC 8410) wrapping of a 32-byte Ed25519 private key, before the key. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The signer for a seed (`SU…`, `SA…`, `SO…`); NkeyError when the text is not one. */
export function nkeySigner(seed: string): NkeySigner {
  const raw = base32Decode(seed.trim());
  if (!raw || raw.length !== 36 || (raw[0]! & 0xf8) !== SEED) {
    throw new NkeyError('not an nkey seed (base32 text starting with S, 58 characters)');
  }
  if (crc16(raw.subarray(0, 34)) !== raw.readUInt16LE(34)) {
    throw new NkeyError('nkey seed checksum does not match: the seed is damaged or mistyped');
  }
  const role = ((raw[0]! & 0x07) << 5) | ((raw[1]! & 0xf8) >> 3);
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519, raw.subarray(2, 34)]),
      format: 'der',
      type: 'pkcs8',
    });
  } catch (err) {
    throw new NkeyError(`nkey seed is not an Ed25519 key: ${(err as Error).message}`, { cause: err });
  }
  const publicRaw = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32);
  const publicKey = encodeKey(role, publicRaw);
  return { publicKey, sign: (data) => sign(null, data, key) };
}

function encodeKey(prefix: number, key: Uint8Array): string {
  const out = Buffer.alloc(1 + key.length + 2);
  out[0] = prefix;
  out.set(key, 1);
  out.writeUInt16LE(crc16(out.subarray(0, 1 + key.length)), 1 + key.length);
  return base32Encode(out);
}

/** CRC-16/XMODEM (polynomial 0x1021, initial 0), as nkeys checks its keys. */
function crc16(b: Uint8Array): number {
  let crc = 0;
  for (const byte of b) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** RFC 4648 base32 without padding (nkeys' alphabet); undefined on a letter outside it. */
function base32Decode(s: string): Buffer | undefined {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of s) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return undefined;
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
      value &= (1 << bits) - 1;
    }
  }
  return Buffer.from(out);
}

function base32Encode(b: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** What a NATS client presents for a user JWT (nats.js's `JwtAuth`). */
export interface NatsJwtAuth {
  jwt: string;
  nkey: string;
  sig: string;
}

/**
 * A nats.js `authenticator` for a user JWT and its seed: signs the server's nonce as nats.js's
 * `jwtAuthenticator` does (standard base64), with the key worked out once.
 */
export function natsJwtAuthenticator(jwt: string, seed: string): (nonce?: string) => NatsJwtAuth {
  const signer = nkeySigner(seed);
  return (nonce) => ({
    jwt,
    nkey: signer.publicKey,
    sig: nonce ? signer.sign(Buffer.from(nonce, 'utf8')).toString('base64') : '',
  });
}

/** The user JWT and seed of a `.creds` file's text (see `natsCreds`); NkeyError naming `source` if it holds none. */
export function parseNatsCreds(text: string, source: string): { jwt: string; seed: string } {
  const blocks = [...text.matchAll(/-{3,}[^\n]*-{3,}\r?\n\s*(\S+)\s*\r?\n\s*-{3,}[^\n]*-{3,}/g)].map((m) => m[1]!);
  const [jwt, seed] = blocks;
  if (!jwt || !seed || !/^S[A-Z2-7]+$/.test(seed)) {
    throw new NkeyError(
      `${source} is not a NATS .creds file (a user JWT block, then a user nkey seed block); register the cluster again to get one`,
    );
  }
  return { jwt, seed };
}
