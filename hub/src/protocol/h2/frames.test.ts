import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ByteBudget,
  Code,
  encodeStatusMessage,
  frame,
  GrpcStatusError,
  MessageReader,
  parseTimeout,
} from './frames.js';

const read = (r: MessageReader, ...chunks: Buffer[]) => {
  const out: string[] = [];
  for (const c of chunks) r.push(c, (m) => out.push(m.toString()));
  return out;
};

describe('MessageReader', () => {
  it('splits chunks into messages whatever the chunk boundaries', () => {
    const wire = Buffer.concat([frame(Buffer.from('one')), frame(Buffer.alloc(0)), frame(Buffer.from('three'))]);
    expect(read(new MessageReader(100), wire)).toEqual(['one', '', 'three']);
    // Every split point, including inside the 5-byte prefix.
    for (let i = 1; i < wire.length; i++) {
      const r = new MessageReader(100);
      expect(read(r, wire.subarray(0, i), wire.subarray(i))).toEqual(['one', '', 'three']);
      expect(r.partial).toBe(0);
    }
    // One byte at a time.
    const r = new MessageReader(100);
    expect(read(r, ...[...wire].map((b) => Buffer.from([b])))).toEqual(['one', '', 'three']);
  });

  it('counts the bytes of a message begun and not finished', () => {
    const r = new MessageReader(100);
    expect(read(r, frame(Buffer.from('hello')).subarray(0, 7))).toEqual([]);
    expect(r.partial).toBe(7);
  });

  it('refuses a message over the limit from its prefix alone, naming both sizes', () => {
    const r = new MessageReader(10);
    const prefix = Buffer.from([0, 0, 0, 0, 11]);
    expect(() => read(r, prefix)).toThrow('received a message of 11 bytes, larger than the limit of 10');
    try {
      read(new MessageReader(10), prefix);
    } catch (err) {
      expect(err).toBeInstanceOf(GrpcStatusError);
      expect((err as GrpcStatusError).code).toBe(Code.RESOURCE_EXHAUSTED);
    }
  });

  it('names the method whose limit a message is over', () => {
    const r = new MessageReader({ maxBytes: 8192, what: '/flotilla.v1.Registration/Register' });
    expect(() => read(r, Buffer.from([0, 0, 0x40, 0, 0]))).toThrow(
      'received a message of 4194304 bytes, larger than the limit of 8192 for /flotilla.v1.Registration/Register',
    );
  });

  it('assembles a message split over chunks in a buffer of its own, growing with what arrived', () => {
    // What node:http2 hands over: 16 KiB views of a larger read buffer.
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const wire = Buffer.concat([frame(body), frame(Buffer.from('next'))]);
    const r = new MessageReader(2 * 1024 * 1024);
    const got: Buffer[] = [];
    let received = 0;
    for (let off = 0; off < wire.length; off += 16 * 1024) {
      const chunk = wire.subarray(off, off + 16 * 1024);
      r.push(chunk, (m) => got.push(m));
      received += chunk.length;
      // Never the whole announced size up front, never more than twice what arrived (from 64 KiB).
      if (got.length === 0) expect(r.held).toBeLessThanOrEqual(Math.max(64 * 1024, 2 * received));
    }
    expect(got.map((m) => m.length)).toEqual([body.length, 4]);
    expect(got[0]!.equals(body)).toBe(true);
    expect(got[0]!.buffer).not.toBe(wire.buffer); // no view of a chunk kept
    expect(r.held).toBe(0);
    expect(r.partial).toBe(0);
  });

  it('charges what an unfinished message holds to the budget, and gives it back when delivered or discarded', () => {
    const budget = new ByteBudget(10_000, 'of callers not yet authenticated');
    const a = new MessageReader({ maxBytes: 8192, budget });
    const b = new MessageReader({ maxBytes: 8192, budget });
    const c = new MessageReader({ maxBytes: 8192, budget });
    const message = frame(Buffer.alloc(4000, 1));
    const got: number[] = [];
    a.push(message.subarray(0, 100), (m) => got.push(m.length));
    b.push(message.subarray(0, 100), (m) => got.push(m.length));
    // Under 64 KiB a message gets its whole buffer at once: charged for all of it.
    expect(budget.held).toBe(8000);
    expect(() => c.push(message.subarray(0, 100), () => undefined)).toThrow(
      'the hub is holding 8000 bytes of unfinished messages of callers not yet authenticated, its limit is 10000; try again later',
    );
    a.push(message.subarray(100), (m) => got.push(m.length));
    expect(got).toEqual([4000]);
    expect(budget.held).toBe(4000);
    b.discard();
    expect(budget.held).toBe(0);
    expect(b.partial).toBe(0);
    // The budget is free again for the refused caller.
    c.discard();
    c.push(message, (m) => got.push(m.length));
    expect(got).toEqual([4000, 4000]);
    expect(budget.held).toBe(0);
  });

  it('inflates messages flagged compressed with the request encoding', () => {
    const compressed = (b: Buffer) => {
      const f = frame(b);
      f[0] = 1;
      return f;
    };
    expect(read(new MessageReader(100, 'gzip'), compressed(gzipSync('zipped')))).toEqual(['zipped']);
    expect(read(new MessageReader(100, 'deflate'), compressed(deflateSync('deflated')))).toEqual(['deflated']);
    // A compression bomb stops at the limit.
    expect(() => read(new MessageReader(100, 'gzip'), compressed(gzipSync(Buffer.alloc(10_000))))).toThrow(
      /could not decompress a gzip message \(corrupt, or larger than 100 bytes\)/,
    );
    expect(() => read(new MessageReader(100, 'snappy'), compressed(Buffer.from('x')))).toThrow(
      'message compressed with "snappy"; this hub accepts identity, gzip and deflate',
    );
    const badFlag = frame(Buffer.from('x'));
    badFlag[0] = 7;
    expect(() => read(new MessageReader(100), badFlag)).toThrow('bad message flag 7');
  });
});

describe('parseTimeout', () => {
  it('reads every unit; malformed or absent is no deadline', () => {
    expect(parseTimeout('2H')).toBe(7_200_000);
    expect(parseTimeout('3M')).toBe(180_000);
    expect(parseTimeout('20S')).toBe(20_000);
    expect(parseTimeout('150m')).toBe(150);
    expect(parseTimeout('5000u')).toBe(5);
    expect(parseTimeout('1000000n')).toBe(1);
    expect(parseTimeout(undefined)).toBeUndefined();
    expect(parseTimeout('10')).toBeUndefined();
    expect(parseTimeout('123456789S')).toBeUndefined(); // more than 8 digits
    expect(parseTimeout('-1S')).toBeUndefined();
  });
});

describe('encodeStatusMessage', () => {
  it('percent-encodes what is not printable ASCII, and % itself', () => {
    expect(encodeStatusMessage('plain text: ok')).toBe('plain text: ok');
    expect(encodeStatusMessage('100% done\nnext')).toBe('100%25 done%0Anext');
    expect(encodeStatusMessage('the operator’s CA')).toBe('the operator%E2%80%99s CA');
    // What a client decodes is what was meant.
    expect(decodeURIComponent(encodeStatusMessage('é % ’\t'))).toBe('é % ’\t');
  });
});
