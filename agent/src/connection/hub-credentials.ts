import { isIP } from 'node:net';
import { checkServerIdentity, connect, createSecureContext, type SecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

type SecureConnector = ReturnType<grpc.ChannelCredentials['_createSecureConnector']>;

export interface HubCredentialsOptions {
  /** The host the agent dials (a name or an IP address). */
  host: string;
  /** The name the hub's certificate must carry, when it is not `host` (--tls-server-name). */
  serverName?: string;
  /** PEM of the CAs to trust; undefined: the system's roots. */
  ca?: Buffer;
  /** The client certificate and its key (mutual TLS), when the agent holds one. */
  key?: Buffer;
  cert?: Buffer;
}

/**
 * TLS to the hub for grpc-js, as `credentials.createSsl` does, except that an IP address is never
 * sent as the SNI server name: RFC 6066 forbids it and Node warns (DEP0123) on every connection,
 * while grpc-js sets the dialled host unconditionally. The certificate is still checked against the
 * address (its IP SANs) or --tls-server-name, and must chain to the trusted CAs.
 */
export class HubChannelCredentials extends grpc.ChannelCredentials {
  private readonly context: SecureContext;

  constructor(private readonly o: HubCredentialsOptions) {
    super();
    this.context = createSecureContext({
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.key && o.cert ? { key: o.key, cert: o.cert } : {}),
    });
  }

  _isSecure(): boolean {
    return true;
  }

  _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  _createSecureConnector(_target: unknown, _options: unknown, callCredentials?: grpc.CallCredentials): SecureConnector {
    const expected = this.o.serverName ?? this.o.host;
    const sni = isIP(expected) === 0 ? expected : undefined;
    const context = this.context;
    const host = this.o.host;
    return {
      connect: (socket) =>
        new Promise((resolve, reject) => {
          const tlsSocket = connect(
            {
              socket,
              secureContext: context,
              host,
              ...(sni ? { servername: sni } : {}),
              ALPNProtocols: ['h2'],
              rejectUnauthorized: true,
              checkServerIdentity: (_name, cert) => checkServerIdentity(expected, cert),
            },
            () => {
              if (!tlsSocket.authorized) reject(tlsSocket.authorizationError);
              else resolve({ socket: tlsSocket, secure: true });
            },
          );
          tlsSocket.on('error', reject);
        }),
      waitForReady: () => Promise.resolve(),
      getCallCredentials: () => callCredentials ?? grpc.credentials.createEmpty(),
      destroy: () => {},
    };
  }
}
