import { homedir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDuration as durationMs } from '@flotilla/common';
import { FlotillaError } from '@flotilla/proto';
import { DEFAULT_AGENT_NAMESPACE } from '../deployer/inventory.js';

export class UsageError extends FlotillaError {
  readonly code = 'USAGE';
}

export const USAGE = `usage: flotilla-agent <apply|diff> [flags] <dir|file>

Applies a rendered bundle once (air-gapped clusters, debugging), or shows what would change.

flags:
  --kubeconfig <file>           kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
  --context <name>              kubeconfig context (default: its current-context)
  --deployment <id>             the deployment, environment/target; names the inventory (default: cli/<dir name>)
  --namespace <ns>              namespace for objects that name none (default: the context's, or default)
  --no-prune                    keep objects that left the bundle
  --no-self-heal                report drifted objects, do not correct them
  --force-conflicts             take fields another declarative applier owns
  --inventory-namespace <ns>    where inventories live (default: ${DEFAULT_AGENT_NAMESPACE})
  --concurrency <n>             requests in flight (default: 16)
  --wait <duration>             apply: wait until every object is Ready (e.g. 90s, 5m)
  --output <table|json>         output format (default: table)
  --log-level <level>           pino level on stderr (default: warn)

exit codes: 0 ok (diff: no changes); 1 objects failed (diff: changes); 2 usage or manifest error;
            3 cluster, kubeconfig or inventory error; 4 --wait timed out before Ready`;

export interface CliConfig {
  command: 'apply' | 'diff';
  path: string;
  kubeconfig: string;
  context?: string;
  deployment: string;
  namespace?: string;
  prune: boolean;
  selfHeal: boolean;
  forceConflicts: boolean;
  inventoryNamespace: string;
  concurrency: number;
  waitMs: number;
  output: 'table' | 'json';
  logLevel: string;
}

/** A duration flag (@flotilla/common's parseDuration: "90s", "5m", "1h30m", plain seconds) in milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UsageError(`--${flag}: "${text}" is not a duration (e.g. 90s, 5m)`);
  return ms;
}

/** argv (after the node and script) and the environment → a config, or one UsageError naming the bad flag. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliConfig | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return 'help';
  if (v.bundle !== undefined)
    throw new UsageError(`--bundle is now --deployment (the same id, environment/target): --deployment ${v.bundle}`);
  const [command, path, ...extra] = positionals;
  if (command !== 'apply' && command !== 'diff')
    throw new UsageError(`unknown command "${command ?? ''}": use apply or diff`);
  if (!path) throw new UsageError(`${command}: give the bundle's directory or file`);
  if (extra.length > 0) throw new UsageError(`${command}: one path only (got also ${extra.join(' ')})`);
  const output = v.output ?? 'table';
  if (output !== 'table' && output !== 'json') throw new UsageError(`--output: "${output}" is not table or json`);
  const concurrency = Number(v.concurrency ?? '16');
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new UsageError(`--concurrency: "${v.concurrency}" is not a positive integer`);
  return {
    command,
    path: resolve(path),
    kubeconfig: v.kubeconfig ?? env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config'),
    ...(v.context ? { context: v.context } : {}),
    deployment: v.deployment ?? `cli/${basename(resolve(path)).replace(/\.(ya?ml|json)$/, '')}`,
    ...(v.namespace ? { namespace: v.namespace } : {}),
    prune: !v['no-prune'],
    selfHeal: !v['no-self-heal'],
    forceConflicts: v['force-conflicts'] ?? false,
    inventoryNamespace: v['inventory-namespace'] ?? DEFAULT_AGENT_NAMESPACE,
    concurrency,
    waitMs: v.wait ? parseDuration(v.wait, 'wait') : 0,
    output,
    logLevel: v['log-level'] ?? 'warn',
  };
}

const OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  deployment: { type: 'string' },
  /** Its name until 0.1: refused with the new one, so a script that gives it is told what to write. */
  bundle: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'no-prune': { type: 'boolean' },
  'no-self-heal': { type: 'boolean' },
  'force-conflicts': { type: 'boolean' },
  'inventory-namespace': { type: 'string' },
  concurrency: { type: 'string' },
  wait: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
