import { describe, expect, it } from 'vitest';
import { FAST_DECODED_FIELDS, fastAgentMessage } from './fast-decode.js';
import { agentMessageDeserializer, loadFlotillaProto, packageDefinition } from './runtime.js';
import type { AgentMessage } from './index.js';

const connect = loadFlotillaProto().flotilla.v1.AgentService.service.Connect;
const generic = (b: Buffer) => connect.requestDeserialize(b);
const encode = (m: AgentMessage) => connect.requestSerialize(m);
const decode = agentMessageDeserializer(generic);

/** A small deterministic generator (mulberry32), so a failure names a reproducible seed. */
function rng(seed: number) {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = ['a', 'Z', '/', '-', '0', ' ', 'é', '漢', '🚀', '\u0000', '"'];

function randomMessage(next: () => number): AgentMessage {
  const int = (n: number) => Math.floor(next() * n);
  const str = () => Array.from({ length: int(4) === 0 ? 0 : int(40) }, () => ALPHABET[int(ALPHABET.length)]).join('');
  const long = (signed: boolean) =>
    [
      '0',
      String(int(1000)),
      String(Date.now() + int(1e6)),
      String(2 ** 53 + int(1000)),
      '18446744073709551615',
      '9223372036854775807',
      ...(signed ? ['-1', '-9223372036854775808', String(-int(1e12))] : []),
    ][int(signed ? 9 : 6)]!;
  // Known values by name, and now and then a number the .proto does not define (a newer agent's).
  const enumValue = (names: string[]) => (int(10) === 0 ? 40 + int(50) : names[int(names.length)]!);
  if (int(3) === 0) return { heartbeat: { sentAtUnixMs: long(true), appliedGeneration: long(false) } };
  const status = () => ({
    deployment: str(),
    digest: int(2) ? 'f'.repeat(64) : '',
    generation: long(false),
    state: enumValue(['BUNDLE_STATE_READY', 'BUNDLE_STATE_NOT_READY', 'BUNDLE_STATE_ERR_APPLIED']) as never,
    message: str(),
    observedAtUnixMs: long(true),
    objectsTotal: [0, int(1000), 2 ** 32 - 1][int(3)]!,
    objectsReady: [0, int(1000), 2 ** 31][int(3)]!,
    ...(int(3) === 0 ? { retryAttempt: int(20), retryAtUnixMs: long(true), retryReason: str() } : {}),
    objects: Array.from({ length: int(4) }, () => ({
      ...(int(3) ? { object: { apiVersion: str(), kind: str(), namespace: str(), name: str() } } : {}),
      change: enumValue(['OBJECT_CHANGE_CREATED', 'OBJECT_CHANGE_FAILED']) as never,
      health: enumValue(['OBJECT_HEALTH_READY', 'OBJECT_HEALTH_FAILED']) as never,
      message: str(),
      state: enumValue(['BUNDLE_STATE_UNSPECIFIED', 'BUNDLE_STATE_NOT_READY', 'BUNDLE_STATE_MODIFIED']) as never,
    })),
  });
  if (int(4) === 0) return { statuses: { statuses: Array.from({ length: int(5) }, status) } };
  return { status: status() };
}

describe('the hub’s AgentMessage decoder', () => {
  it('knows every field the .proto declares for the messages it decodes', () => {
    const def = packageDefinition();
    for (const [name, numbers] of Object.entries(FAST_DECODED_FIELDS)) {
      const fields = (def[name] as unknown as { type: { field: { name: string; number: number }[] } }).type.field;
      if (name === 'flotilla.v1.AgentMessage') {
        // The oneof members it decodes itself; hello and drift go to the generic deserializer.
        expect(fields.filter((f) => (numbers as readonly number[]).includes(f.number)).map((f) => f.name)).toEqual([
          'status',
          'heartbeat',
          'statuses',
        ]);
      } else {
        // A field added to the .proto fails here: teach fast-decode.ts the field, then update the list.
        expect(
          fields.map((f) => f.number).sort((a, b) => a - b),
          name,
        ).toEqual([...numbers]);
      }
    }
  });

  it('decodes 3,000 random status, status batch and heartbeat messages exactly as the generic deserializer does', () => {
    const next = rng(20261126);
    const kinds = new Set<string | undefined>();
    for (let i = 0; i < 3000; i++) {
      const bytes = encode(randomMessage(next));
      const fast = fastAgentMessage(bytes);
      expect(fast, `message ${i} should take the direct path`).toBeDefined();
      expect(fast, `message ${i}`).toEqual(generic(bytes));
      kinds.add(fast?.msg);
    }
    expect([...kinds].sort()).toEqual(['heartbeat', 'status', 'statuses']);
  });

  it('leaves hello, drift and empty messages to the generic deserializer, with the same result', () => {
    const messages: AgentMessage[] = [
      { hello: { clusterId: 'c1', appliedGeneration: '7', held: [{ deployment: 'prod/app', digest: 'ab' }] } },
      { drift: { deployment: 'prod/app', object: { kind: 'Deployment', name: 'web' }, fields: [{ path: '/spec' }] } },
      {},
    ];
    for (const m of messages) {
      const bytes = encode(m);
      expect(fastAgentMessage(bytes)).toBeUndefined();
      expect(decode(bytes)).toEqual(generic(bytes));
    }
  });

  it('leaves unusual encodings to the generic deserializer: unknown fields, merged messages, wrong wire types', () => {
    const status = encode({ status: { deployment: 'prod/app', generation: '3', state: 'BUNDLE_STATE_READY' } });
    const withObject = encode({ status: { deployment: 'prod/app', objects: [{ object: { kind: 'A' } }] } });
    // A status whose one ObjectStatus carries `object` twice: {kind: A}, then {name: B}.
    const objStatus = Buffer.from([0x0a, 0x03, 0x12, 0x01, 0x41, 0x0a, 0x03, 0x22, 0x01, 0x42]);
    const bundle = Buffer.concat([Buffer.from([0x32, objStatus.length]), objStatus]);
    const cases: [string, Buffer][] = [
      // An unknown field 15 (varint 1) inside the status, as a newer agent might send.
      [
        'unknown field',
        Buffer.concat([Buffer.from([0x12, status[1]! + 2]), status.subarray(2), Buffer.from([0x78, 0x01])]),
      ],
      // The oneof twice: protobuf merges the two statuses.
      ['status sent twice', Buffer.concat([status, withObject])],
      // An embedded message twice (protobufjs keeps the last rather than merging: whatever the
      // generic path does is what the hub gets).
      ['object sent twice', Buffer.concat([Buffer.from([0x12, bundle.length]), bundle])],
      // deployment (field 1) as a varint.
      ['wrong wire type', Buffer.from([0x12, 0x02, 0x08, 0x01])],
    ];
    for (const [what, bytes] of cases) {
      expect(fastAgentMessage(bytes), what).toBeUndefined();
      expect(decode(bytes), what).toEqual(generic(bytes));
    }
  });

  it('refuses a truncated message as the generic deserializer does', () => {
    const bytes = encode({ status: { deployment: 'prod/app', message: 'hello' } });
    for (let cut = 1; cut < bytes.length; cut++) {
      const part = bytes.subarray(0, cut);
      let genericError: unknown;
      try {
        generic(part);
      } catch (err) {
        genericError = err;
      }
      if (genericError) expect(() => decode(part)).toThrow();
      else expect(decode(part)).toEqual(generic(part));
    }
  });
});
