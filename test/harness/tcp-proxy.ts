import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxyOptions {
  /** Where connections go: host:port. */
  target: { host: string; port: number };
  /** Delay added to every chunk, each way (a slow network or a slow apiserver). */
  latencyMs?: number;
}

export interface TcpProxy {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Drops every open connection and refuses new ones (closes them at once) until `restore`. */
  cut(): void;
  restore(): void;
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

/**
 * A TCP proxy on loopback that can add latency or cut the link: the network fault between an agent
 * and its hub or its apiserver, without root or network namespaces. Bytes pass through unchanged
 * (TLS included), so both ends are the real components.
 */
export async function startTcpProxy(o: TcpProxyOptions): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let cutOff = false;
  let latency = o.latencyMs ?? 0;
  let accepted = 0;

  /** Forwards `from` to `to`, each chunk after the current latency, in order. */
  const pipe = (from: Socket, to: Socket) => {
    let chain = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const delay = latency;
      if (delay === 0) {
        to.write(chunk);
        return;
      }
      from.pause();
      chain = chain
        .then(() => new Promise<void>((r) => setTimeout(r, delay)))
        .then(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        });
    });
    from.on('end', () => void chain.then(() => to.end()));
  };

  const server = createServer((client) => {
    accepted++;
    if (cutOff) {
      client.destroy();
      return;
    }
    const upstream = connect(o.target.port, o.target.host);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => {
        open.delete(s);
        client.destroy();
        upstream.destroy();
      });
      s.on('error', () => s.destroy());
    }
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    get accepted() {
      return accepted;
    },
    cut() {
      cutOff = true;
      for (const s of open) s.destroy();
    },
    restore() {
      cutOff = false;
    },
    setLatency(ms) {
      latency = ms;
    },
    async stop() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
