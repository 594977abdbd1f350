import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { FlotillaError } from '@flotilla/proto';

export class ConfigError extends FlotillaError {
  readonly code = 'CONFIG';
}

export interface HubConfig {
  dataDir: string;
  http: { host: string; port: number };
  /** The agents' gRPC endpoint. */
  grpc: { host: string; port: number };
  helm: string;
  kustomize: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function defaultConfig(): HubConfig {
  return {
    dataDir: resolve('.flotilla/hub'),
    http: { host: '127.0.0.1', port: 8080 },
    grpc: { host: '127.0.0.1', port: 9443 },
    helm: 'helm',
    kustomize: 'kustomize',
    logLevel: 'info',
  };
}

function parseAddr(value: string, field: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m || port > 65535) throw new ConfigError(`${field}: "${value}" is not host:port (e.g. 127.0.0.1:8080)`);
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

/**
 * Flags win over environment variables, which win over defaults. Throws one ConfigError naming the
 * bad field. Pure: reads only what it is given.
 */
export function parseConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[]): HubConfig {
  const { values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      'data-dir': { type: 'string' },
      http: { type: 'string' },
      grpc: { type: 'string' },
      helm: { type: 'string' },
      kustomize: { type: 'string' },
      'log-level': { type: 'string' },
    },
  });
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
  return {
    dataDir: dataDir ? resolve(dataDir) : d.dataDir,
    http: http ? parseAddr(http, '--http / FLOTILLA_HTTP_ADDR') : d.http,
    grpc: grpc ? parseAddr(grpc, '--grpc / FLOTILLA_GRPC_ADDR') : d.grpc,
    helm: pick(values.helm, 'FLOTILLA_HELM') ?? d.helm,
    kustomize: pick(values.kustomize, 'FLOTILLA_KUSTOMIZE') ?? d.kustomize,
    logLevel: level as HubConfig['logLevel'],
  };
}
