import { describe, expect, it } from 'vitest';
import { BatchReader } from './git-export.js';

const OID = 'b'.repeat(40);

/** Reads every object of a `cat-file --batch` stream fed in the given pieces. */
function readAll(pieces: Buffer[]): { oid: string; body: string; missing: boolean }[] {
  const r = new BatchReader();
  const out: { oid: string; body: string; missing: boolean }[] = [];
  let current: { oid: string; size: number; missing: boolean; body: Buffer; have: number } | undefined;
  for (const p of pieces) {
    r.push(p);
    for (;;) {
      if (!current) {
        const h = r.header();
        if (!h) break;
        if (h.missing) {
          out.push({ oid: h.oid, body: '', missing: true });
          continue;
        }
        current = { ...h, body: Buffer.alloc(h.size), have: 0 };
      }
      current.have += r.copyBody(current.body, current.have, current.size - current.have);
      if (current.have < current.size || !r.skipNewline()) break;
      out.push({ oid: current.oid, body: current.body.toString(), missing: false });
      current = undefined;
    }
  }
  return out;
}

describe('BatchReader (git cat-file --batch framing)', () => {
  const stream = Buffer.from(
    `${OID} blob 5\nhello\n${OID} blob 0\n\n${OID} missing\n${OID} blob 3\na\nb\n${OID} blob 10\nline\nline\n\n`,
  );
  const expected = [
    { oid: OID, body: 'hello', missing: false },
    { oid: OID, body: '', missing: false },
    { oid: OID, body: '', missing: true },
    { oid: OID, body: 'a\nb', missing: false },
    { oid: OID, body: 'line\nline\n', missing: false },
  ];

  it('reads objects delivered in one chunk', () => expect(readAll([stream])).toEqual(expected));

  it('reads them whatever the chunk boundaries (headers, bodies and newlines split)', () => {
    for (const size of [1, 2, 3, 7, 41, 45, 64]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) pieces.push(stream.subarray(i, i + size));
      expect(readAll(pieces)).toEqual(expected);
    }
  });

  it('hands out body bytes without copying when they sit in one chunk', () => {
    const r = new BatchReader();
    const chunk = Buffer.from(`${OID} blob 4\nabcd\n`);
    r.push(chunk);
    expect(r.header()).toEqual({ oid: OID, size: 4, missing: false });
    const body = r.body(4);
    expect(body.toString()).toBe('abcd');
    expect(body.buffer).toBe(chunk.buffer);
  });

  it('refuses a header it does not understand', () => {
    const r = new BatchReader();
    r.push(Buffer.from(`${OID} blob many\n`));
    expect(() => r.header()).toThrow(/unexpected git cat-file header/);
  });
});
