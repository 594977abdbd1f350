import { DEFAULT_H2_LIMITS, type H2Limits } from './protocol/h2/limits.js';

/** The gRPC endpoint's connection limits an operator may need to change (the rest: h2/limits.ts). */
export interface GrpcLimitsConfig {
  grpcLimits: Pick<H2Limits, 'maxConnections' | 'maxUnauthenticatedPerAddress'>;
}

/** The `serve` flags of these settings, for parseArgs. */
export const GRPC_LIMIT_OPTIONS = {
  'grpc-max-connections': { type: 'string' },
  'grpc-max-unauthenticated-per-address': { type: 'string' },
} as const;

type Values = Partial<Record<keyof typeof GRPC_LIMIT_OPTIONS, string>>;

const SETTINGS = {
  // A fleet larger than 25,000 agents needs more than the default 50,000.
  maxConnections: { flag: 'grpc-max-connections', env: 'FLOTILLA_GRPC_MAX_CONNECTIONS' },
  // Agents behind one address (a NAT, a load balancer that does not keep the client address) that
  // dial at once may need more.
  maxUnauthenticatedPerAddress: {
    flag: 'grpc-max-unauthenticated-per-address',
    env: 'FLOTILLA_GRPC_MAX_UNAUTHENTICATED_PER_ADDRESS',
  },
} as const;

/** Flags win over environment variables, which win over the defaults; `fail` makes the one error naming the setting. */
export function parseGrpcLimits(
  values: Values,
  env: Readonly<Record<string, string | undefined>>,
  fail: (message: string) => Error,
): GrpcLimitsConfig {
  const read = (key: keyof typeof SETTINGS): number => {
    const { flag, env: name } = SETTINGS[key];
    const raw = values[flag] ?? env[name];
    if (raw === undefined) return DEFAULT_H2_LIMITS[key];
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) {
      throw fail(`--${flag} / ${name}: "${raw}" is not a whole number of connections, 1 or more`);
    }
    return n;
  };
  return {
    grpcLimits: {
      maxConnections: read('maxConnections'),
      maxUnauthenticatedPerAddress: read('maxUnauthenticatedPerAddress'),
    },
  };
}
