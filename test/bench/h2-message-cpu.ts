/**
 * CPU of the hub's gRPC server for one large message against the same bytes in smaller messages:
 * a 4 MiB message arriving in 16 KiB pieces (HTTP/2's default DATA frame size) against 64 messages
 * of 64 KiB. Two measures, alternated round by round, medians reported:
 *   - reader: MessageReader alone on 16 KiB views of the wire bytes (what node:http2 hands over);
 *   - server: H2GrpcServer in a child process (its own CPU only), a node:http2 client on loopback
 *     sending the bytes on one bidirectional call per round.
 *
 *   npm run bench:h2-message -- [--rounds 40] [--reader path/to/frames.ts]
 *
 * `--reader` measures another MessageReader (for a before/after: `git show <rev>:hub/src/protocol/h2/frames.ts`
 * into a file); the server measure always runs the working tree.
 */
import { fork } from 'node:child_process';
import http2 from 'node:http2';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { protocol } from '@flotilla/hub';

const { values } = parseArgs({
  options: { rounds: { type: 'string' }, reader: { type: 'string' }, serve: { type: 'boolean' } },
  strict: false,
});
const ROUNDS = Number(values.rounds ?? 40);
const CHUNK = 16 * 1024;
const BIG = 4 * 1024 * 1024;
const SMALL = 64 * 1024;
const PATH = '/bench.Bench/Sink';

type Reader = { push(chunk: Buffer, onMessage: (m: Buffer) => void): void };
type ReaderModule = { MessageReader: new (max: number) => Reader; frame(m: Uint8Array): Buffer };

const payload = (n: number) => Buffer.alloc(n, 0x61);
const workloads = (f: ReaderModule['frame']) => ({
  'one 4 MiB message': f(payload(BIG)),
  '64 messages of 64 KiB': Buffer.concat(Array.from({ length: BIG / SMALL }, () => f(payload(SMALL)))),
});

const cpuUs = (u: NodeJS.CpuUsage) => u.user + u.system;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (values.serve) {
  // The child: the server alone, reporting its own CPU on request.
  const server = new protocol.H2GrpcServer({
    toStatus: () => ({ code: 13, details: 'internal' }),
    maxReceiveBytes: BIG,
  });
  const sink: protocol.H2Method<Buffer, Buffer> = {
    kind: 'bidi',
    decode: (b) => b,
    encode: (b) => b,
    handle: (_call, out) => ({ message: () => undefined, end: () => out.end() }),
  };
  server.add(PATH, sink);
  const port = await server.listen('127.0.0.1:0');
  process.on('message', () => process.send!({ cpu: cpuUs(process.cpuUsage()) }));
  process.send!({ port });
} else {
  const readerModule = (values.reader
    ? await import(resolve(String(values.reader)))
    : protocol) as unknown as ReaderModule;
  const wire = workloads(readerModule.frame);

  // Reader alone, in this process.
  const readerUs: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, bytes] of Object.entries(wire)) {
      const reader = new readerModule.MessageReader(BIG);
      let got = 0;
      const t0 = process.cpuUsage();
      for (let off = 0; off < bytes.length; off += CHUNK) {
        reader.push(bytes.subarray(off, off + CHUNK), (m) => (got += m.length));
      }
      (readerUs[name] ??= []).push(cpuUs(process.cpuUsage(t0)));
      if (got !== BIG) throw new Error(`${name}: the reader delivered ${got} bytes, not ${BIG}`);
    }
  }

  // The server in a child process; this process is the client.
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    execArgv: ['--conditions=@flotilla/source', '--import', 'tsx'],
    stdio: 'inherit',
  });
  const ask = () => new Promise<{ cpu: number; port?: number }>((r) => child.once('message', r));
  const { port } = await ask();
  const serverCpu = async () => {
    const answer = ask();
    child.send('cpu');
    return (await answer).cpu;
  };
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const call = (bytes: Buffer) =>
    new Promise<void>((done, fail) => {
      const stream = session.request({ ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc' });
      stream.on('trailers', (t) => (t['grpc-status'] === '0' ? undefined : fail(new Error(JSON.stringify(t)))));
      stream.on('close', () => done());
      stream.on('error', fail);
      stream.resume();
      stream.end(bytes);
    });
  const serverUs: Record<string, number[]> = {};
  for (const bytes of Object.values(wire)) await call(bytes); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, bytes] of Object.entries(wire)) {
      const before = await serverCpu();
      await call(bytes);
      (serverUs[name] ??= []).push((await serverCpu()) - before);
    }
  }
  session.close();
  child.kill();

  const report = (what: string, us: Record<string, number[]>) => {
    const [one, many] = Object.values(us).map(median) as [number, number];
    for (const [name, xs] of Object.entries(us)) console.log(`${what}: ${name}: median ${median(xs)} µs CPU`);
    console.log(`${what}: ratio ${(one / many).toFixed(2)}`);
  };
  console.log(`node ${process.version}, ${ROUNDS} rounds, reader ${values.reader ?? 'working tree'}`);
  report('reader', readerUs);
  report('server', serverUs);
}
