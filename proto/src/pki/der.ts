// A small DER (ASN.1 Distinguished Encoding Rules) writer and reader: just what X.509 certificates and
// PKCS#10 requests need. Every writer returns the complete TLV (tag, length, value).

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  SEQUENCE: 0x30,
  SET: 0x31,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
} as const;

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, value: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(value.length), value]);
}

export const sequence = (...items: Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, Buffer.concat(items));

/** DER sorts the members of a SET OF by their encoding. */
export const set = (...items: Buffer[]): Buffer => tlv(TAG.SET, Buffer.concat([...items].sort(Buffer.compare)));

/** [n] EXPLICIT: a constructed context-specific tag wrapping a complete TLV. */
export const explicit = (n: number, inner: Uint8Array): Buffer => tlv(0xa0 | n, inner);

/** [n] IMPLICIT on a primitive type: the context tag replaces the type's own. */
export const implicit = (n: number, value: Uint8Array): Buffer => tlv(0x80 | n, value);

export const bool = (v: boolean): Buffer => tlv(TAG.BOOLEAN, Buffer.from([v ? 0xff : 0x00]));

export const nullValue = (): Buffer => tlv(TAG.NULL, Buffer.alloc(0));

/** A non-negative INTEGER, minimal: no superfluous leading zeros, a zero in front of a set high bit. */
export function unsignedInteger(value: bigint | number | Uint8Array): Buffer {
  let bytes: Buffer;
  if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else {
    let hex = BigInt(value).toString(16);
    if (BigInt(value) < 0n) throw new RangeError(`DER: negative INTEGER ${value} is not supported`);
    if (hex.length % 2) hex = `0${hex}`;
    bytes = Buffer.from(hex, 'hex');
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Buffer.from([0]);
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(TAG.INTEGER, bytes);
}

export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`DER: "${dotted}" is not an object identifier`);
    return BigInt(a);
  });
  const [first = 0n, second = 0n, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const groups: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) groups.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...groups);
  }
  return tlv(TAG.OID, Buffer.from(out));
}

export const utf8 = (s: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(s, 'utf8'));

/** The bytes of an IA5String (ASCII), for use under an IMPLICIT tag (dNSName, URI). */
export function ia5Bytes(s: string): Buffer {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(s)) throw new RangeError(`DER: "${s}" is not ASCII (IA5String)`);
  return Buffer.from(s, 'ascii');
}

export const octetString = (v: Uint8Array): Buffer => tlv(TAG.OCTET_STRING, v);

/** A BIT STRING holding whole bytes (keys, signatures): no unused bits. */
export const bitString = (v: Uint8Array): Buffer => tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), v]));

/**
 * A named-bit BIT STRING (key usage): bit 0 is the most significant bit of the first byte, and DER
 * drops trailing zero bits.
 */
export function namedBits(bits: readonly number[]): Buffer {
  if (bits.length === 0) return tlv(TAG.BIT_STRING, Buffer.from([0]));
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[Math.floor(b / 8)] = (bytes[Math.floor(b / 8)] ?? 0) | (0x80 >> (b % 8));
  const unused = 7 - (highest % 8);
  return tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** RFC 5280: UTCTime through 2049, GeneralizedTime from 2050; always UTC, whole seconds. */
export function time(d: Date): Buffer {
  const iso = d.toISOString(); // 2026-11-26T11:01:40.123Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  return d.getUTCFullYear() < 2050
    ? tlv(TAG.UTC_TIME, Buffer.from(`${digits.slice(2)}Z`, 'ascii'))
    : tlv(TAG.GENERALIZED_TIME, Buffer.from(`${digits}Z`, 'ascii'));
}

/** One decoded element: `raw` is the whole TLV, `value` its contents. */
export interface Element {
  tag: number;
  raw: Buffer;
  value: Buffer;
}

export class DerError extends Error {}

/** Reads the TLV at `offset`. Only definite lengths (DER). */
export function readElement(buf: Buffer, offset = 0): Element {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined) throw new DerError(`DER: truncated at byte ${offset}`);
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new DerError(`DER: unsupported length form at byte ${offset + 1}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + (buf[offset + 2 + i] ?? 0);
    header += n;
  }
  const end = offset + header + length;
  if (end > buf.length) throw new DerError(`DER: element at byte ${offset} runs past the end of the input`);
  return { tag, raw: buf.subarray(offset, end), value: buf.subarray(offset + header, end) };
}

/** The elements inside a constructed element (SEQUENCE, SET, [n] EXPLICIT). */
export function children(e: Element): Element[] {
  const out: Element[] = [];
  for (let off = 0; off < e.value.length;) {
    const c = readElement(e.value, off);
    out.push(c);
    off += c.raw.length;
  }
  return out;
}
