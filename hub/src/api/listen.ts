import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isLoopbackHost, type HubConfig } from '../config.js';
import { setupHubTls, type HubTls } from '../tls/hub-tls.js';

/**
 * Accepts the API's connections on one port and hands each to the HTTPS server, or, when the client
 * speaks plain HTTP to an HTTPS port, answers 400 saying so (instead of a reset the client cannot
 * explain). The token that request carried has crossed in the clear already: the CLI refuses to send
 * one over plain HTTP to a hub that is not on loopback, and this message tells a script's author why
 * their call fails.
 */
export function frontForTls(tlsServer: HttpServer, host: string, port: number): Server {
  const refuse = createHttpServer((req, res) => {
    const where = req.headers.host ?? `${host}:${port}`;
    res.writeHead(400, { 'content-type': 'application/json', connection: 'close' }).end(
      `${JSON.stringify({
        code: 'HTTPS_REQUIRED',
        message: `this hub serves its API over HTTPS only: use https://${where}${req.url ?? '/'}`,
      })}\n`,
    );
  });
  const front = createServer((socket: Socket) => {
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) {
        socket.destroy();
        return;
      }
      socket.unshift(first);
      // A TLS connection opens with a handshake record (content type 22).
      (first[0] === 0x16 ? tlsServer : refuse).emit('connection', socket);
    });
    socket.on('error', () => socket.destroy());
  });
  front.on('close', () => refuse.close());
  return front;
}

/**
 * The API's TLS: the gRPC endpoint's (same CA, same certificate), or the hub's own CA when gRPC runs
 * --insecure; none when the API is plain HTTP (loopback, or --insecure-http), said in a warning.
 */
export function apiTlsOf(config: HubConfig, grpcTls: HubTls | undefined, log: Logger): HubTls | undefined {
  if (!config.http.tls) {
    log.warn(
      {
        address: `${config.http.host}:${config.http.port}`,
        risk: isLoopbackHost(config.http.host)
          ? 'plain HTTP on loopback: reachable from this machine only; use --http-tls to serve HTTPS here too'
          : 'API tokens and webhook secrets cross the network in clear text (--insecure-http)',
      },
      'httpPlaintext',
    );
    return undefined;
  }
  return grpcTls ?? setupHubTls(config.dataDir, { ...config.tls, mode: 'auto', mtls: false });
}

export const certificateOf = (t: HubTls) => {
  const { key, cert } = t.source.options();
  return { key, cert };
};

/** Listens: HTTPS through a front that answers plain HTTP with a clear refusal, or plain HTTP. */
export async function listenApi(
  app: FastifyInstance,
  at: HubConfig['http'],
  apiTls: HubTls | undefined,
): Promise<Server | undefined> {
  if (!apiTls) {
    await app.listen({ host: at.host, port: at.port });
    return undefined;
  }
  await app.ready();
  const https = app.server as unknown as TlsServer;
  // A renewed certificate takes effect for new connections.
  apiTls.source.onChange(() => https.setSecureContext(certificateOf(apiTls)));
  const front = frontForTls(app.server, at.host, at.port);
  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    front.listen({ host: at.host, port: at.port, backlog: 511 }, resolve);
  });
  return front;
}
