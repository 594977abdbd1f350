import { packageDefinition } from './loader.js';
import type { AgentMessage__Output } from './gen/flotilla/v1/AgentMessage.js';
import type { DeploymentStatus__Output } from './gen/flotilla/v1/DeploymentStatus.js';
import type { Heartbeat__Output } from './gen/flotilla/v1/Heartbeat.js';
import type { ObjectRef__Output } from './gen/flotilla/v1/ObjectRef.js';
import type { ObjectStatus__Output } from './gen/flotilla/v1/ObjectStatus.js';
import type { StatusBatch__Output } from './gen/flotilla/v1/StatusBatch.js';

/**
 * A decoder for the agent messages the hub receives most, status (alone or in a batch) and heartbeat, that builds the
 * very objects the generic deserializer builds (longs as decimal strings, enums as their names,
 * defaults filled in, the oneof named), straight from the wire.
 *
 * Why: the generic path decodes into protobufjs messages and then converts them with `toObject`,
 * turning every 64-bit field into a Long and back into a string. Measured on the hub, receiving one
 * status report over gRPC + TLS cost 42–48 µs of CPU with the generic deserializer and 23–30 µs
 * without it: half the budget of a status message went into decoding it.
 *
 * Kept over a generated static codec (issue #20, `npm run bench:decode`, test/bench/RESULTS.md): pbjs
 * static-module code with the same output (decode + toObject) costs what the generic path costs, a
 * status with 3 objects 11.6 µs against 5.3 µs here, a heartbeat 1.85 µs against 0.10 µs.
 *
 * It handles only the canonical encoding of those messages. Anything else (a hello, a drift
 * report, an empty message, a field this decoder does not know, an embedded message sent twice,
 * which protobuf would merge, or a truncated buffer) is left to the generic deserializer, so the
 * result is always the same as the generic one's. A unit test checks that against the generic
 * deserializer, and that this decoder knows every field the .proto declares for these messages.
 */

/** The field numbers this decoder reads, by message: the test compares them with the .proto. */
export const FAST_DECODED_FIELDS = {
  'flotilla.v1.AgentMessage': [2, 4, 5],
  'flotilla.v1.StatusBatch': [1],
  'flotilla.v1.DeploymentStatus': [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
  'flotilla.v1.ObjectStatus': [1, 2, 3, 4, 5],
  'flotilla.v1.ObjectRef': [1, 2, 3, 4],
  'flotilla.v1.Heartbeat': [1, 2],
} as const;

/** Thrown inside the decoder for input it leaves to the generic path; never escapes. */
const NOT_CANONICAL = new Error('not canonical');

const TWO_53 = 2 ** 53;

class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint's low 32 bits as an unsigned number (what protobuf keeps of an int32, uint32 or enum). */
  uint32(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw NOT_CANONICAL;
      const b = this.buf[this.pos++]!;
      if (shift < 32) value |= (b & 0x7f) << shift;
      shift += 7;
      if (b < 0x80) return value >>> 0;
    }
    throw NOT_CANONICAL;
  }

  /** A 64-bit varint as a decimal string, unsigned or as a two's complement int64. */
  long(signed: boolean): string {
    const start = this.pos;
    let value = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw NOT_CANONICAL;
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * mul;
      mul *= 128;
      if (b < 0x80) return value < TWO_53 ? String(value) : this.bigLong(start, signed);
    }
    throw NOT_CANONICAL;
  }

  /** The exact value of a varint past 2^53 (or a negative int64, sent as ten bytes). */
  private bigLong(start: number, signed: boolean): string {
    let value = 0n;
    let shift = 0n;
    for (let p = start; p < this.pos; p++, shift += 7n) value |= BigInt(this.buf[p]! & 0x7f) << shift;
    return String(signed ? BigInt.asIntN(64, value) : BigInt.asUintN(64, value));
  }

  /** The bounds of a length-delimited field, which must lie within the buffer. */
  delimited(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (len > 0x7fffffff || end > this.end) throw NOT_CANONICAL;
    return end;
  }

  string(): string {
    const end = this.delimited();
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }
}

const VARINT = 0;
const DELIMITED = 2;

/** The enum's value names by number, from the loaded .proto (an unknown number stays a number). */
function enumNames(fullName: string): Map<number, string> {
  const def = packageDefinition()[fullName] as unknown as { type: { value: { name: string; number: number }[] } };
  return new Map(def.type.value.map((v) => [v.number, v.name]));
}

let names: { state: Map<number, string>; change: Map<number, string>; health: Map<number, string> } | undefined;

function enumOf(map: Map<number, string>, n: number): string {
  const signed = n | 0;
  const name = map.get(signed);
  // The generic path hands an unknown number through; the generated type does not say so.
  return name ?? (signed as unknown as string);
}

function objectRef(r: Reader, end: number): ObjectRef__Output {
  const o: ObjectRef__Output = { apiVersion: '', kind: '', namespace: '', name: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    if ((tag & 7) !== DELIMITED) throw NOT_CANONICAL;
    switch (tag >>> 3) {
      case 1:
        o.apiVersion = r.string();
        break;
      case 2:
        o.kind = r.string();
        break;
      case 3:
        o.namespace = r.string();
        break;
      case 4:
        o.name = r.string();
        break;
      default:
        throw NOT_CANONICAL;
    }
  }
  if (r.pos !== end) throw NOT_CANONICAL;
  return o;
}

function objectStatus(r: Reader, end: number): ObjectStatus__Output {
  const n = names!;
  const o: ObjectStatus__Output = {
    object: null,
    change: enumOf(n.change, 0) as ObjectStatus__Output['change'],
    health: enumOf(n.health, 0) as ObjectStatus__Output['health'],
    message: '',
    state: enumOf(n.state, 0) as ObjectStatus__Output['state'],
  };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === DELIMITED) {
      // A second occurrence would be merged into the first: the generic path knows how.
      if (o.object) throw NOT_CANONICAL;
      const e = r.delimited();
      o.object = objectRef(r, e);
    } else if (field === 2 && wire === VARINT)
      o.change = enumOf(n.change, r.uint32()) as ObjectStatus__Output['change'];
    else if (field === 3 && wire === VARINT) o.health = enumOf(n.health, r.uint32()) as ObjectStatus__Output['health'];
    else if (field === 4 && wire === DELIMITED) o.message = r.string();
    else if (field === 5 && wire === VARINT) o.state = enumOf(n.state, r.uint32()) as ObjectStatus__Output['state'];
    else throw NOT_CANONICAL;
  }
  if (r.pos !== end) throw NOT_CANONICAL;
  return o;
}

function deploymentStatus(r: Reader, end: number): DeploymentStatus__Output {
  const n = names!;
  const s: DeploymentStatus__Output = {
    objects: [],
    deployment: '',
    digest: '',
    generation: '0',
    state: enumOf(n.state, 0) as DeploymentStatus__Output['state'],
    message: '',
    observedAtUnixMs: '0',
    objectsTotal: 0,
    objectsReady: 0,
    retryAttempt: 0,
    retryAtUnixMs: '0',
    retryReason: '',
  };
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 && wire === DELIMITED) s.deployment = r.string();
    else if (field === 2 && wire === DELIMITED) s.digest = r.string();
    else if (field === 3 && wire === VARINT) s.generation = r.long(false);
    else if (field === 4 && wire === VARINT) s.state = enumOf(n.state, r.uint32()) as DeploymentStatus__Output['state'];
    else if (field === 5 && wire === DELIMITED) s.message = r.string();
    else if (field === 6 && wire === DELIMITED) {
      const e = r.delimited();
      s.objects.push(objectStatus(r, e));
    } else if (field === 7 && wire === VARINT) s.observedAtUnixMs = r.long(true);
    else if (field === 8 && wire === VARINT) s.objectsTotal = r.uint32();
    else if (field === 9 && wire === VARINT) s.objectsReady = r.uint32();
    else if (field === 10 && wire === VARINT) s.retryAttempt = r.uint32();
    else if (field === 11 && wire === VARINT) s.retryAtUnixMs = r.long(true);
    else if (field === 12 && wire === DELIMITED) s.retryReason = r.string();
    else throw NOT_CANONICAL;
  }
  if (r.pos !== end) throw NOT_CANONICAL;
  return s;
}

function statusBatch(r: Reader, end: number): StatusBatch__Output {
  const b: StatusBatch__Output = { statuses: [] };
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag !== ((1 << 3) | DELIMITED)) throw NOT_CANONICAL;
    const e = r.delimited();
    b.statuses.push(deploymentStatus(r, e));
  }
  if (r.pos !== end) throw NOT_CANONICAL;
  return b;
}

function heartbeat(r: Reader, end: number): Heartbeat__Output {
  const h: Heartbeat__Output = { sentAtUnixMs: '0', appliedGeneration: '0' };
  while (r.pos < end) {
    const tag = r.uint32();
    if ((tag & 7) !== VARINT) throw NOT_CANONICAL;
    if (tag >>> 3 === 1) h.sentAtUnixMs = r.long(true);
    else if (tag >>> 3 === 2) h.appliedGeneration = r.long(false);
    else throw NOT_CANONICAL;
  }
  if (r.pos !== end) throw NOT_CANONICAL;
  return h;
}

/** A status, batch of statuses or heartbeat in its canonical encoding; undefined for anything else. */
export function fastAgentMessage(buf: Buffer): AgentMessage__Output | undefined {
  names ??= {
    state: enumNames('flotilla.v1.BundleState'),
    change: enumNames('flotilla.v1.ObjectChange'),
    health: enumNames('flotilla.v1.ObjectHealth'),
  };
  try {
    const r = new Reader(buf, 0, buf.length);
    const tag = r.uint32();
    if ((tag & 7) !== DELIMITED) return undefined;
    const field = tag >>> 3;
    if (field !== 2 && field !== 4 && field !== 5) return undefined;
    const end = r.delimited();
    // One field, filling the buffer: a oneof sent twice is the generic path's to resolve.
    if (end !== buf.length) return undefined;
    if (field === 2) return { status: deploymentStatus(r, end), msg: 'status' };
    if (field === 5) return { statuses: statusBatch(r, end), msg: 'statuses' };
    return { heartbeat: heartbeat(r, end), msg: 'heartbeat' };
  } catch (err) {
    if (err === NOT_CANONICAL) return undefined;
    throw err;
  }
}

/**
 * An AgentMessage deserializer for the hub: status and heartbeat decoded directly, every other
 * message (and every unusual encoding) by `generic`, the proto-loader deserializer.
 */
export function agentMessageDeserializer(
  generic: (b: Buffer) => AgentMessage__Output,
): (b: Buffer) => AgentMessage__Output {
  return (b) => fastAgentMessage(b) ?? generic(b);
}
