/**
 * Decoding the agent messages the hub receives most (status, a batch of statuses, heartbeat), in one
 * process, rounds alternated, medians reported:
 *   - generic: proto-loader's deserializer (protobufjs decode, then toObject: longs and enums as
 *     strings, defaults, oneofs), what the hub used before proto/src/fast-decode.ts;
 *   - fast: the hub's deserializer (fast-decode.ts, falling back to generic);
 *   - static (with --static): a generated static codec, decode + toObject with the same options, and
 *     its decode alone (message instances with Long objects: not what the hub's code reads).
 * Every decoder's output is checked against the generic one first.
 *
 *   out=node_modules/.cache/flotilla-bench/agent-static.mjs   # under node_modules: it finds protobufjs
 *   mkdir -p "$(dirname $out)"   # pbjs is protobufjs-cli's, not a dependency of the project:
 *   npx -y -p protobufjs-cli@1 pbjs -t static-module -w es6 --es6 -o $out proto/flotilla/v1/agent.proto
 *   sed -i 's#^import \* as \$protobuf from "protobufjs/minimal"#import $protobuf from "protobufjs/minimal.js"#' $out
 *   npm run bench:decode -- --static "$PWD/$out" [--rounds 5] [--n 200000]
 */
import { loadavg } from 'node:os';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { type AgentMessage } from '@flotilla/proto';
import { agentMessageDeserializer, loadFlotillaProto } from '@flotilla/proto/runtime';

const { values } = parseArgs({
  options: { static: { type: 'string' }, rounds: { type: 'string' }, n: { type: 'string' } },
  strict: true,
});
const ROUNDS = Number(values.rounds ?? 5);
const N = Number(values.n ?? 200_000);

const connect = loadFlotillaProto().flotilla.v1.AgentService.service.Connect;
const generic = (b: Buffer) => connect.requestDeserialize(b);
const decoders: Record<string, (b: Buffer) => unknown> = { generic, fast: agentMessageDeserializer(generic) };

interface StaticType {
  decode(b: Uint8Array): object;
  toObject(m: object, o: object): object;
}
if (values.static) {
  const mod = (await import(values.static)) as { flotilla: { v1: { AgentMessage: StaticType } } };
  const S = mod.flotilla.v1.AgentMessage;
  const options = { longs: String, enums: String, defaults: true, oneofs: true };
  decoders['static'] = (b) => S.toObject(S.decode(b), options);
  decoders['static decode alone'] = (b) => S.decode(b);
}

const now = Date.now();
const object = (i: number) => ({
  object: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: `web-${i}` },
  change: 'OBJECT_CHANGE_UNCHANGED',
  health: 'OBJECT_HEALTH_READY',
  message: '',
  state: 'BUNDLE_STATE_READY',
});
const status = (i: number, objects: number) => ({
  deployment: `prod/apps-${i}`,
  digest: 'f'.repeat(64),
  generation: String(1000 + i),
  state: 'BUNDLE_STATE_READY',
  message: '',
  observedAtUnixMs: String(now),
  objectsTotal: objects,
  objectsReady: objects,
  objects: Array.from({ length: objects }, (_, k) => object(k)),
});
const encode = (m: unknown) => connect.requestSerialize(m as AgentMessage);
const cases: Record<string, Buffer> = {
  'status, no objects': encode({ status: status(1, 0) }),
  'status, 3 objects': encode({ status: status(1, 3) }),
  heartbeat: encode({ heartbeat: { sentAtUnixMs: String(now), appliedGeneration: '1234' } }),
  'batch of 5 statuses, 3 objects each': encode({ statuses: { statuses: [0, 1, 2, 3, 4].map((i) => status(i, 3)) } }),
};

const plain = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
for (const [name, b] of Object.entries(cases)) {
  const want = plain(generic(b));
  for (const d of ['fast', 'static']) {
    const f = decoders[d];
    if (f && !isDeepStrictEqual(plain(f(b)), want)) throw new Error(`${name}: ${d} decodes differently from generic`);
  }
}

/** Nanoseconds a call. */
const per = (f: (b: Buffer) => unknown, b: Buffer) => {
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) f(b);
  return Number(process.hrtime.bigint() - t) / N;
};
for (const b of Object.values(cases)) for (const f of Object.values(decoders)) per(f, b); // warm-up
const runs: Record<string, Record<string, number[]>> = {};
for (let r = 0; r < ROUNDS; r++)
  for (const [name, b] of Object.entries(cases))
    for (const [d, f] of Object.entries(decoders)) ((runs[name] ??= {})[d] ??= []).push(per(f, b));

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? NaN;
console.log(`node ${process.version}, ${ROUNDS} rounds of ${N}, load average ${loadavg()[0]?.toFixed(2)}`);
console.log(`| message | ${Object.keys(decoders).join(' | ')} |`);
console.log(`| --- |${' --- |'.repeat(Object.keys(decoders).length)}`);
for (const [name, r] of Object.entries(runs)) {
  const cells = Object.keys(decoders).map((d) => `${(median(r[d] ?? []) / 1000).toFixed(2)} µs`);
  console.log(`| ${name} (${cases[name]?.length} B) | ${cells.join(' | ')} |`);
}
