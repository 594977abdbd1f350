import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
// Deep imports on purpose: the package root loads every generated API model (~70 MiB RSS), which
// would not fit the agent's memory budget. These modules hold client-node's kubeconfig semantics.
import {
  newClusters,
  newContexts,
  newUsers,
  type Cluster,
  type User,
} from '@kubernetes/client-node/dist/config_types.js';
import { ExecAuth } from '@kubernetes/client-node/dist/exec_auth.js';
import { FileAuth } from '@kubernetes/client-node/dist/file_auth.js';
import { parse } from 'yaml';
import { KubeconfigError } from '../errors.js';

/** How to reach and authenticate to one apiserver. */
export interface ClusterAccess {
  server: string;
  /** The kubeconfig context (or 'in-cluster'), for messages. */
  context: string;
  /** The context's namespace, when it names one. */
  namespace?: string;
  tls: Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>;
  /** Adds credentials to a request: static token, token file, exec plugin, basic auth. */
  authorize(opts: RequestOptions): Promise<void>;
}

interface RawKubeconfig {
  clusters?: unknown;
  users?: unknown;
  contexts?: unknown;
  'current-context'?: string;
}

/** Reads a kubeconfig file; `context` overrides its current-context. */
export function loadKubeconfig(file: string, context?: string): ClusterAccess {
  let raw: RawKubeconfig;
  try {
    raw = (parse(readFileSync(file, 'utf8')) ?? {}) as RawKubeconfig;
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return fromRaw(raw, dirname(file), context);
  } catch (err) {
    if (err instanceof KubeconfigError) throw new KubeconfigError(`kubeconfig ${file}: ${err.message}`);
    throw new KubeconfigError(`kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function fromRaw(raw: RawKubeconfig, root: string, contextName?: string): ClusterAccess {
  const contexts = newContexts(raw.contexts);
  const name = contextName ?? raw['current-context'];
  const ctx = contexts.find((c) => c.name === name) ?? (name === undefined ? contexts[0] : undefined);
  if (!ctx) throw new KubeconfigError(`context "${name ?? ''}" not found`);
  const cluster = newClusters(raw.clusters).find((c) => c.name === ctx.cluster);
  if (!cluster) throw new KubeconfigError(`context "${ctx.name}" names cluster "${ctx.cluster}", which is not defined`);
  const user = newUsers(raw.users).find((u) => u.name === ctx.user);
  const abs = (f: string) => (isAbsolute(f) ? f : join(root, f));
  const read = (data?: string, path?: string) =>
    data ? Buffer.from(data, 'base64') : path ? readFileSync(abs(path)) : undefined;
  const tls = {
    ca: read(cluster.caData, cluster.caFile),
    cert: read(user?.certData, user?.certFile),
    key: read(user?.keyData, user?.keyFile),
    rejectUnauthorized: !cluster.skipTLSVerify,
    ...(cluster.tlsServerName ? { servername: cluster.tlsServerName } : {}),
  };
  return {
    server: cluster.server,
    context: ctx.name,
    ...(ctx.namespace ? { namespace: ctx.namespace } : {}),
    tls,
    authorize: authorizer(cluster, user),
  };
}

function authorizer(_cluster: Cluster, user: User | undefined): (opts: RequestOptions) => Promise<void> {
  if (!user) return async () => {};
  const exec = new ExecAuth();
  const file = new FileAuth();
  return async (opts) => {
    opts.headers ??= {};
    const headers = opts.headers as Record<string, string>;
    if (exec.isAuthProvider(user)) return exec.applyAuthentication(user, opts);
    if (file.isAuthProvider(user)) return file.applyAuthentication(user, opts);
    if (user.token) headers['Authorization'] = `Bearer ${user.token.trim()}`;
    else if (user.username) opts.auth = `${user.username}:${user.password ?? ''}`;
  };
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The pod's own service account, as client-go's rest.InClusterConfig reads it. */
export function inClusterAccess(env: NodeJS.ProcessEnv, dir = SA_DIR): ClusterAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new KubeconfigError('not in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set');
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim();
  } catch {
    namespace = undefined;
  }
  return {
    server,
    context: 'in-cluster',
    ...(namespace ? { namespace } : {}),
    tls: { ca: readFileSync(join(dir, 'ca.crt')), rejectUnauthorized: true },
    // Projected tokens rotate: read the file on every request (the kernel page cache makes it cheap).
    authorize: async (opts) => {
      opts.headers ??= {};
      (opts.headers as Record<string, string>)['Authorization'] =
        `Bearer ${readFileSync(join(dir, 'token'), 'utf8').trim()}`;
    },
  };
}
