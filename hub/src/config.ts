import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { parseHostPort } from '@flotilla/common';
import { resolve } from 'node:path';
import { FlotillaError } from '@flotilla/proto';
import { ACCESS_OPTIONS, defaultAccessConfig, parseAccessConfig, type AccessConfig } from './config-access.js';
import { LIMIT_OPTIONS, parseLimits, type StorageLimits } from './config-limits.js';
import { GRPC_LIMIT_OPTIONS, parseGrpcLimits, type GrpcLimitsConfig } from './config-grpc.js';
import { PLAINTEXT_SECRET_POLICIES, type PlaintextSecretPolicy } from './render/secrets-policy.js';
import { parseTlsConfig } from './tls/config.js';
import { SANDBOX_MODES, type SandboxMode } from './tools/sandbox.js';
import type { TlsConfig } from './tls/hub-tls.js';

export class ConfigError extends FlotillaError {
  readonly code = 'CONFIG';
}

export interface HubConfig extends AccessConfig, StorageLimits, GrpcLimitsConfig {
  dataDir: string;
  /**
   * The HTTP API, webhooks, health and metrics. `tls`: HTTPS with the gRPC endpoint's certificate;
   * plain HTTP only on loopback (unless --http-tls) or with --insecure-http.
   */
  http: { host: string; port: number; tls: boolean };
  /** The agents' gRPC endpoint. */
  grpc: { host: string; port: number };
  /** The agents' address as they reach it (host:port), when it differs from --grpc (behind a load balancer, in a cluster). */
  advertise?: string;
  /** An agent silent this long is Stale (default 45 s: three 15 s heartbeats). */
  staleAfterSeconds: number;
  /** Secrets with values in Git: warn (default), refuse or allow. */
  plaintextSecrets: PlaintextSecretPolicy;
  /** Transport security of the gRPC endpoint (auto CA by default; --insecure only for tests and development). */
  tls: TlsConfig;
  helm: string;
  kustomize: string;
  /** The git command that exports commits from the hub's mirrors into trees for rendering. */
  git: string;
  /** Where helm and kustomize run: bwrap (contained, the default) or none (uncontained: trusted repositories only). */
  renderSandbox: SandboxMode;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** How agents reach the hub: gRPC (default) or NATS JetStream. */
  transport: 'grpc' | 'nats';
  /** Used when transport is nats; auth jwt = nats-server trusts the hub's operator (see nats-auth.ts). */
  nats: { url: string; auth: 'jwt' | 'none' };
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function defaultConfig(): HubConfig {
  return {
    dataDir: resolve('.flotilla/hub'),
    ...defaultAccessConfig(resolve('.flotilla/hub')),
    http: { host: '127.0.0.1', port: 8080, tls: false },
    grpc: { host: '127.0.0.1', port: 9443 },
    staleAfterSeconds: 45,
    plaintextSecrets: 'warn',
    tls: { mode: 'auto', sans: [], mtls: false },
    helm: 'helm',
    kustomize: 'kustomize',
    git: 'git',
    renderSandbox: 'bwrap',
    logLevel: 'info',
    transport: 'grpc',
    nats: { url: 'nats://127.0.0.1:4222', auth: 'jwt' },
    ...parseLimits({}, {}, (m) => new ConfigError(m)),
    ...parseGrpcLimits({}, {}, (m) => new ConfigError(m)),
  };
}

function parseAddr(value: string, field: string): { host: string; port: number } {
  const a = parseHostPort(value);
  if (!a) throw new ConfigError(`${field}: "${value}" is not host:port (e.g. 127.0.0.1:8080)`);
  return { host: a.host || '0.0.0.0', port: a.port };
}

/** The flags of `flotilla-hub serve` (hub/src/help.ts describes each). */
export const SERVE_OPTIONS = {
  'data-dir': { type: 'string' },
  http: { type: 'string' },
  grpc: { type: 'string' },
  advertise: { type: 'string' },
  'stale-after': { type: 'string' },
  'plaintext-secrets': { type: 'string' },
  helm: { type: 'string' },
  kustomize: { type: 'string' },
  git: { type: 'string' },
  'render-sandbox': { type: 'string' },
  'log-level': { type: 'string' },
  transport: { type: 'string' },
  'nats-url': { type: 'string' },
  'nats-auth': { type: 'string' },
  tls: { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-san': { type: 'string', multiple: true },
  'tls-client-ca': { type: 'string' },
  mtls: { type: 'boolean' },
  insecure: { type: 'boolean' },
  'http-tls': { type: 'boolean' },
  'insecure-http': { type: 'boolean' },
  ...ACCESS_OPTIONS,
  ...LIMIT_OPTIONS,
  ...GRPC_LIMIT_OPTIONS,
} as const;

/**
 * Flags win over environment variables, which win over defaults. Throws one ConfigError naming the
 * bad field. Pure: reads only what it is given.
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): HubConfig {
  const { values } = parseArgs({ args: [...argv], allowPositionals: true, options: SERVE_OPTIONS });
  const d = defaultConfig();
  const pick = (flag: string | undefined, name: string) => flag ?? env[name];
  const level = pick(values['log-level'], 'FLOTILLA_LOG_LEVEL') ?? d.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigError(
      `log level "${level}" is not one of ${LOG_LEVELS.join(', ')} (--log-level, FLOTILLA_LOG_LEVEL)`,
    );
  }
  const http = pick(values.http, 'FLOTILLA_HTTP_ADDR');
  const dataDir = pick(values['data-dir'], 'FLOTILLA_DATA_DIR');
  const grpc = pick(values.grpc, 'FLOTILLA_GRPC_ADDR');
  const advertise = pick(values.advertise, 'FLOTILLA_ADVERTISE_ADDR');
  if (advertise !== undefined) parseAddr(advertise, '--advertise / FLOTILLA_ADVERTISE_ADDR');
  const staleRaw = pick(values['stale-after'], 'FLOTILLA_STALE_AFTER');
  const staleAfterSeconds = staleRaw === undefined ? d.staleAfterSeconds : Number(staleRaw);
  if (!Number.isInteger(staleAfterSeconds) || staleAfterSeconds < 1) {
    throw new ConfigError(`--stale-after / FLOTILLA_STALE_AFTER: "${staleRaw}" is not a whole number of seconds`);
  }
  const secretsPolicy = pick(values['plaintext-secrets'], 'FLOTILLA_PLAINTEXT_SECRETS') ?? d.plaintextSecrets;
  if (!(PLAINTEXT_SECRET_POLICIES as readonly string[]).includes(secretsPolicy)) {
    throw new ConfigError(
      `--plaintext-secrets / FLOTILLA_PLAINTEXT_SECRETS: "${secretsPolicy}" is not one of ${PLAINTEXT_SECRET_POLICIES.join(', ')}`,
    );
  }
  const resolvedDataDir = dataDir ? resolve(dataDir) : d.dataDir;
  return {
    dataDir: resolvedDataDir,
    ...parseAccessConfig(values, env, resolvedDataDir, (m) => new ConfigError(m)),
    plaintextSecrets: secretsPolicy as PlaintextSecretPolicy,
    http: parseHttp(http, values, env),
    grpc: grpc ? parseAddr(grpc, '--grpc / FLOTILLA_GRPC_ADDR') : d.grpc,
    ...(advertise ? { advertise } : {}),
    staleAfterSeconds,
    tls: parseTlsConfig(env, values, (m) => new ConfigError(m)),
    helm: pick(values.helm, 'FLOTILLA_HELM') ?? d.helm,
    kustomize: pick(values.kustomize, 'FLOTILLA_KUSTOMIZE') ?? d.kustomize,
    git: pick(values.git, 'FLOTILLA_GIT') ?? d.git,
    renderSandbox: parseSandbox(pick(values['render-sandbox'], 'FLOTILLA_RENDER_SANDBOX') ?? d.renderSandbox),
    logLevel: level as HubConfig['logLevel'],
    ...parseTransport(values, env, d),
    ...parseLimits(values, env, (m) => new ConfigError(m)),
    ...parseGrpcLimits(values, env, (m) => new ConfigError(m)),
  };
}

/** True for 127.0.0.0/8, ::1 and localhost: an address no other machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

function parseHttp(
  addr: string | undefined,
  values: { 'http-tls'?: boolean; 'insecure-http'?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): HubConfig['http'] {
  const { host, port } = addr ? parseAddr(addr, '--http / FLOTILLA_HTTP_ADDR') : defaultConfig().http;
  const flag = (v: boolean | undefined, name: string) =>
    v ?? ['1', 'true', 'yes'].includes((env[name] ?? '').toLowerCase());
  const forceTls = flag(values['http-tls'], 'FLOTILLA_HTTP_TLS');
  const insecure = flag(values['insecure-http'], 'FLOTILLA_INSECURE_HTTP');
  if (forceTls && insecure) throw new ConfigError('--http-tls and --insecure-http contradict each other: give one');
  return { host, port, tls: insecure ? false : forceTls || !isLoopbackHost(host) };
}

function parseSandbox(value: string): SandboxMode {
  if (!(SANDBOX_MODES as readonly string[]).includes(value)) {
    throw new ConfigError(
      `--render-sandbox / FLOTILLA_RENDER_SANDBOX: "${value}" is not one of ${SANDBOX_MODES.join(', ')}`,
    );
  }
  return value as SandboxMode;
}

function parseTransport(
  values: { transport?: string; 'nats-url'?: string; 'nats-auth'?: string },
  env: Readonly<Record<string, string | undefined>>,
  d: HubConfig,
): Pick<HubConfig, 'transport' | 'nats'> {
  const transport = values.transport ?? env.FLOTILLA_TRANSPORT ?? d.transport;
  if (transport !== 'grpc' && transport !== 'nats') {
    throw new ConfigError(`transport "${transport}" is not grpc or nats (--transport, FLOTILLA_TRANSPORT)`);
  }
  const url = values['nats-url'] ?? env.FLOTILLA_NATS_URL ?? d.nats.url;
  if (!/^(nats|tls|ws|wss):\/\/[^\s]+$/.test(url)) {
    throw new ConfigError(`NATS URL "${url}" is not nats://host:port (--nats-url, FLOTILLA_NATS_URL)`);
  }
  const auth = values['nats-auth'] ?? env.FLOTILLA_NATS_AUTH ?? d.nats.auth;
  if (auth !== 'jwt' && auth !== 'none') {
    throw new ConfigError(`NATS auth "${auth}" is not jwt or none (--nats-auth, FLOTILLA_NATS_AUTH)`);
  }
  return { transport, nats: { url, auth } };
}
