import { isAbsolute, join, relative, resolve } from 'node:path';
import { DEFAULT_REPO_ENV_PREFIX, REPO_SECRETS_DIR, type RepoCredentialPolicy } from './source/repo-credentials.js';

export const METRICS_AUTH_MODES = ['none', 'token'] as const;
export type MetricsAuth = (typeof METRICS_AUTH_MODES)[number];

/** Failed bearer tokens allowed per client address: `burst` at once, refilled over `periodSeconds`. */
export interface AuthFailureLimit {
  burst: number;
  periodSeconds: number;
}

/** Who may reach what: repo credentials, /metrics, failed logins. */
export interface AccessConfig {
  repoCredentials: RepoCredentialPolicy;
  metricsAuth: MetricsAuth;
  authFailureLimit: AuthFailureLimit;
}

export function defaultAccessConfig(dataDir: string): AccessConfig {
  return {
    repoCredentials: { secretsDir: join(dataDir, REPO_SECRETS_DIR), envPrefix: DEFAULT_REPO_ENV_PREFIX },
    metricsAuth: 'none',
    authFailureLimit: { burst: 20, periodSeconds: 60 },
  };
}

export interface AccessFlags {
  'repo-secrets-dir'?: string;
  'repo-env-prefix'?: string;
  'metrics-auth'?: string;
  'auth-failure-limit'?: string;
}

export const ACCESS_OPTIONS = {
  'repo-secrets-dir': { type: 'string' },
  'repo-env-prefix': { type: 'string' },
  'metrics-auth': { type: 'string' },
  'auth-failure-limit': { type: 'string' },
} as const;

const within = (dir: string, path: string) => {
  const rel = relative(dir, path);
  return !rel.startsWith('..') && !isAbsolute(rel);
};

/** Part of parseConfig (pure); `fail` makes the ConfigError. */
export function parseAccessConfig(
  values: AccessFlags,
  env: Readonly<Record<string, string | undefined>>,
  dataDir: string,
  fail: (message: string) => Error,
): AccessConfig {
  const d = defaultAccessConfig(dataDir);
  const dirRaw = values['repo-secrets-dir'] ?? env.FLOTILLA_REPO_SECRETS_DIR;
  const secretsDir = dirRaw ? resolve(dirRaw) : d.repoCredentials.secretsDir;
  // The data directory holds the hub's keys and tokens: none of it may be nameable as a repo secret.
  if (
    within(secretsDir, dataDir) ||
    (within(dataDir, secretsDir) && !within(d.repoCredentials.secretsDir, secretsDir))
  ) {
    throw fail(
      `--repo-secrets-dir / FLOTILLA_REPO_SECRETS_DIR: "${secretsDir}" would expose the hub's data directory ` +
        `(${dataDir}); use a directory outside it, or ${d.repoCredentials.secretsDir}`,
    );
  }
  const envPrefix = values['repo-env-prefix'] ?? env.FLOTILLA_REPO_ENV_PREFIX ?? d.repoCredentials.envPrefix;
  if (!/^[A-Za-z][A-Za-z0-9_]*_$/.test(envPrefix) || envPrefix === 'FLOTILLA_') {
    throw fail(
      `--repo-env-prefix / FLOTILLA_REPO_ENV_PREFIX: "${envPrefix}" must be letters, digits and '_' ending in '_', ` +
        `and not FLOTILLA_ alone (the hub's own settings)`,
    );
  }
  const metricsAuth = values['metrics-auth'] ?? env.FLOTILLA_METRICS_AUTH ?? d.metricsAuth;
  if (!(METRICS_AUTH_MODES as readonly string[]).includes(metricsAuth)) {
    throw fail(
      `--metrics-auth / FLOTILLA_METRICS_AUTH: "${metricsAuth}" is not one of ${METRICS_AUTH_MODES.join(', ')}`,
    );
  }
  const limitRaw = values['auth-failure-limit'] ?? env.FLOTILLA_AUTH_FAILURE_LIMIT;
  return {
    repoCredentials: { secretsDir, envPrefix },
    metricsAuth: metricsAuth as MetricsAuth,
    authFailureLimit: limitRaw === undefined ? d.authFailureLimit : parseLimit(limitRaw, fail),
  };
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `20/1m`: 20 failures at once, refilled over a minute. */
function parseLimit(raw: string, fail: (message: string) => Error): AuthFailureLimit {
  const m = /^(\d{1,6})\/(\d{1,5})([smh])$/.exec(raw);
  const burst = Number(m?.[1]);
  const periodSeconds = Number(m?.[2]) * (UNIT_SECONDS[m?.[3] ?? ''] ?? NaN);
  if (!m || burst < 1 || !(periodSeconds >= 1)) {
    throw fail(
      `--auth-failure-limit / FLOTILLA_AUTH_FAILURE_LIMIT: "${raw}" is not <failures>/<period> (e.g. 20/1m, 5/30s)`,
    );
  }
  return { burst, periodSeconds };
}
