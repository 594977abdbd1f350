import { helpAbout, helpRoute, wantsHelp, type HelpRoute } from '@flotilla/common';
import { DEFAULT_AGENT_NAMESPACE } from '../deployer/inventory.js';
import { USAGE as ONE_SHOT_USAGE } from './args.js';

export const TOP_USAGE = `usage: flotilla-agent <command> [flags]

commands:
  run     the agent: dials the hub, applies this cluster's bundles, keeps them so and reports back
          (long-running; in a pod, or as a process beside any cluster: flotilla-agent run --help)
  apply   applies a rendered bundle once (air-gapped clusters, debugging)
  diff    shows what applying a rendered bundle would change
  help    this text; \`flotilla-agent help <command>\` or \`flotilla-agent <command> --help\` for its flags`;

export const RUN_USAGE = `usage: flotilla-agent run --hub <host:port> --cluster <name> [flags]

The agent: registers once with a one-time token, then dials the hub, applies the cluster's bundles
with server-side apply, prunes what left Git, corrects drift and reports status; it keeps enforcing
from its cache while the hub is away. In a pod it uses its service account (deploy/agent, fleet agent
install); anywhere else, a cluster with no container runtime included, it runs as a process against
a kubeconfig context: README, "Running the agent as a process". Each flag can also come from the
environment variable shown.

the hub:
  --hub <host:port>              the hub's agent address (FLOTILLA_HUB); fleet clusters register prints it
  --cluster <name>               the cluster's name in the fleet (FLOTILLA_CLUSTER)
  --token <token>                one-time registration token, first start only (FLOTILLA_REGISTRATION_TOKEN):
                                 fleet clusters register <name>; later starts use the state directory
  --hub-ca-hash <sha256:...>     trust the hub's CA by the hash of its public key, fetched on first contact
                                 (FLOTILLA_HUB_CA_HASH): flotilla-hub ca hash, or fleet clusters register
  --hub-ca <file>                trust the hub's CA from this PEM file (FLOTILLA_HUB_CA): flotilla-hub ca show
                                 (neither: the system's roots, for a hub with a publicly trusted certificate)
  --tls-server-name <name>       the name the hub's certificate must carry, when it is not the host dialled
                                 (FLOTILLA_TLS_SERVER_NAME)
  --tls-cert <file> --tls-key <file>
                                 a client certificate of your own (FLOTILLA_TLS_CERT, FLOTILLA_TLS_KEY);
                                 default: one the hub issues at registration, kept in the state directory
  --insecure                     plaintext gRPC, for tests against a hub started with --insecure (FLOTILLA_INSECURE)
  --transport <grpc|nats>        how to reach the hub (FLOTILLA_TRANSPORT; default grpc)
  --nats-url <url>               with --transport nats: the NATS server(s), comma-separated (FLOTILLA_NATS_URL)
  --nats-register-creds <file>   with --transport nats: register-only credentials for a first start
                                 (FLOTILLA_NATS_REGISTER_CREDS)

the cluster:
  --kubeconfig <file>            the cluster to manage (KUBECONFIG); default: the pod's service account
  --context <name>               a context of --kubeconfig, or alone of ~/.kube/config
                                 (default: the kubeconfig's current-context)
  --namespace <ns>               the agent's namespace: inventories, identity Secret (FLOTILLA_NAMESPACE;
                                 default ${DEFAULT_AGENT_NAMESPACE})
  --retry-base-seconds <s>       a failed apply is retried after this, doubling each time
                                 (FLOTILLA_RETRY_BASE_SECONDS; default 2)
  --retry-max-seconds <s>        up to this (FLOTILLA_RETRY_MAX_SECONDS; default 300)

the process:
  --state-dir <dir>              credential, client certificate and key, hub CA, bundle cache
                                 (FLOTILLA_STATE_DIR; default /var/lib/flotilla-agent): one per cluster
  --identity-secret <name>       also keep the credential in this Secret, across pod restarts
                                 (FLOTILLA_IDENTITY_SECRET)
  --health-addr <host:port>      serve /healthz and /readyz (FLOTILLA_HEALTH_ADDR)
  --log-level <level>            pino level, JSON lines on stdout (FLOTILLA_LOG_LEVEL; default info)
  -h, --help                     this text

example, beside a kind cluster (the token and CA hash from \`fleet clusters register dev\`):
  flotilla-agent run --hub hub.example.com:9443 --cluster dev --token "$TOKEN" \\
    --hub-ca-hash sha256:... --kubeconfig ~/.kube/config --context kind-dev \\
    --state-dir ~/.local/state/flotilla-agent/dev

Stops on SIGTERM or SIGINT. Exit code 2: a flag is wrong (the message names it).`;

export type Route = HelpRoute | { kind: 'run'; args: string[] } | { kind: 'oneShot'; args: string[] };

const USAGES: Record<string, string> = { run: RUN_USAGE, apply: ONE_SHOT_USAGE, diff: ONE_SHOT_USAGE };

/** Which part of the CLI an argv is for, and the help it asks for (or earns, with an unknown command). */
export function route(argv: readonly string[]): Route {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h')
    return helpAbout(command === 'help' ? rest[0] : undefined, TOP_USAGE, USAGES);
  if (command === 'run') return wantsHelp(rest) ? helpRoute(RUN_USAGE) : { kind: 'run', args: rest };
  // apply and diff parse their own flags (and --help), which may come before the command.
  if (command === 'apply' || command === 'diff' || command.startsWith('-')) return { kind: 'oneShot', args: [...argv] };
  return helpRoute(`unknown command "${command}"\n\n${TOP_USAGE}`, 2);
}
