import { helpAbout, helpRoute, usageOf, wantsHelp, type HelpRoute } from '@flotilla/common';

export const TOP_USAGE = `usage: flotilla-hub <command> [flags]

commands:
  serve          the hub: HTTP API, the agents' endpoint (gRPC or NATS), Git polling, rendering
                 (long-running; flotilla-hub serve --help lists its flags)
  tokens create  prints a one-time registration token for an agent, without the API:
                 --cluster NAME [--label k=v]... [--ttl SECONDS] [--data-dir DIR]
  ca show        prints the hub's CA certificate (for an agent's --hub-ca): [--data-dir DIR]
  ca hash        prints the hash of its public key (for an agent's --hub-ca-hash): [--data-dir DIR]
  nats init      writes the NATS trust files for serve --transport nats (docs/nats.md):
                 [--data-dir DIR] [--nats-url nats://host:port]
  help           this text; \`flotilla-hub help serve\` or \`flotilla-hub serve --help\` for serve's flags`;

export const SERVE_USAGE = `usage: flotilla-hub serve [flags]

The hub: serves the HTTP API (the fleet CLI's), webhooks, health and metrics; the agents' gRPC
endpoint, or NATS; fetches the repos and renders what each cluster must run. On its first start it
writes an admin API token to <data-dir>/admin.token. Flags win over the environment variable shown.

  --data-dir <dir>                  state, Git cache, CA, key (FLOTILLA_DATA_DIR; default .flotilla/hub)
  --http <host:port>                HTTP API, health, metrics, webhooks (FLOTILLA_HTTP_ADDR; default 127.0.0.1:8080)
  --http-tls / --insecure-http      the API over HTTPS even on loopback / plain HTTP off loopback
                                    (FLOTILLA_HTTP_TLS / FLOTILLA_INSECURE_HTTP; default HTTPS off loopback)
  --grpc <host:port>                the agents' gRPC endpoint (FLOTILLA_GRPC_ADDR; default 127.0.0.1:9443)
  --advertise <host:port>           the address agents dial, when not --grpc's (FLOTILLA_ADVERTISE_ADDR)
  --tls <auto|files>                the hub's own CA (auto, the default) or --tls-cert/--tls-key (FLOTILLA_TLS)
  --tls-cert <file> --tls-key <file>
                                    a certificate of your own (FLOTILLA_TLS_CERT, FLOTILLA_TLS_KEY)
  --tls-san <name>                  another name or IP in the auto certificate, repeatable (FLOTILLA_TLS_SAN)
  --mtls                            agents present client certificates (FLOTILLA_MTLS)
  --tls-client-ca <file>            the CA their certificates chain to (FLOTILLA_TLS_CLIENT_CA)
  --insecure                        plaintext gRPC, for tests and development only (FLOTILLA_INSECURE)
  --transport <grpc|nats>           how agents reach the hub (FLOTILLA_TRANSPORT; default grpc)
  --nats-url <url>                  with nats: the NATS server(s) (FLOTILLA_NATS_URL; default nats://127.0.0.1:4222)
  --nats-auth <jwt|none>            with nats: the hub as NATS operator, or a trusted network (FLOTILLA_NATS_AUTH)
  --stale-after <seconds>           an agent silent this long is Stale (FLOTILLA_STALE_AFTER; default 45)
  --grpc-max-connections <n>        gRPC connections at once (FLOTILLA_GRPC_MAX_CONNECTIONS; default 50000)
  --grpc-max-unauthenticated-per-address <n>
                                    not yet authenticated, from one address
                                    (FLOTILLA_GRPC_MAX_UNAUTHENTICATED_PER_ADDRESS; default 1024)
  --plaintext-secrets <warn|refuse|allow>
                                    Secrets with values in Git (FLOTILLA_PLAINTEXT_SECRETS; default warn)
  --helm <path> --kustomize <path>  the render tools (FLOTILLA_HELM, FLOTILLA_KUSTOMIZE)
  --render-sandbox <bwrap|none>     where they run (FLOTILLA_RENDER_SANDBOX; default bwrap: SECURITY.md)
  --git <path>                      exports fetched commits for rendering (FLOTILLA_GIT; default git)
  --repo-secrets-dir <dir>          where repos' passwordFile/tokenFile are read
                                    (FLOTILLA_REPO_SECRETS_DIR; default <data-dir>/repo-secrets)
  --repo-env-prefix <PREFIX_>       the only variables repos' passwordEnv/tokenEnv may name
                                    (FLOTILLA_REPO_ENV_PREFIX; default FLOTILLA_REPO_)
  --metrics-auth <token|none>       /metrics needs a viewer token (FLOTILLA_METRICS_AUTH; default none)
  --auth-failure-limit <n/period>   refused bearer tokens per address before 429 (FLOTILLA_AUTH_FAILURE_LIMIT; 20/1m)
  --event-retention-days <n>        event history kept, 0: no limit (FLOTILLA_EVENT_RETENTION_DAYS; default 30)
  --event-retention-max <n>         (FLOTILLA_EVENT_RETENTION_MAX; default 2000000)
  --drift-report-bytes <n>          one drift report as stored (FLOTILLA_DRIFT_REPORT_BYTES; default 8192)
  --drift-report-fields <n>         (FLOTILLA_DRIFT_REPORT_FIELDS; default 32)
  --drift-burst <n>                 drift reports per cluster at once (FLOTILLA_DRIFT_BURST; default 200)
  --drift-per-minute <n>            and a minute after that (FLOTILLA_DRIFT_PER_MINUTE; default 12)
  --log-level <level>               pino level, JSON lines on stdout (FLOTILLA_LOG_LEVEL; default info)
  -h, --help                        this text

Stops on SIGTERM or SIGINT. The README's "Configuration" explains each setting.`;

const USAGES: Record<string, string> = {
  serve: SERVE_USAGE,
  tokens: TOP_USAGE,
  ca: TOP_USAGE,
  nats: TOP_USAGE,
};

export type Route = HelpRoute | { kind: 'command'; command: string };

/**
 * Which command an argv is for, or the help it asks for. Nothing at all is not `serve`: a hub started
 * by mistake would write an admin token and listen; it takes `flotilla-hub serve`.
 */
export function route(argv: readonly string[]): Route {
  const [command, ...rest] = argv;
  if (command === undefined)
    return helpRoute(`no command given; to run the hub: flotilla-hub serve\n\n${TOP_USAGE}`, 2);
  if (command === 'help' || command === '--help' || command === '-h')
    return helpAbout(command === 'help' ? rest[0] : undefined, TOP_USAGE, USAGES);
  const usage = usageOf(USAGES, command);
  if (usage === undefined) {
    const why = command.startsWith('-') ? `a command comes first, then "${command}"` : `unknown command "${command}"`;
    return helpRoute(`${why}\n\n${TOP_USAGE}`, 2);
  }
  return wantsHelp(rest) ? helpRoute(usage) : { kind: 'command', command };
}
