import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';

describe('gRPC connection limits in the hub config', () => {
  it('defaults to what fits 25,000 agents; flags win over environment variables', () => {
    expect(parseConfig({}, ['serve']).grpcLimits).toEqual({
      maxConnections: 50_000,
      maxUnauthenticatedPerAddress: 1024,
    });
    const env = { FLOTILLA_GRPC_MAX_CONNECTIONS: '80000', FLOTILLA_GRPC_MAX_UNAUTHENTICATED_PER_ADDRESS: '4096' };
    expect(parseConfig(env, ['serve']).grpcLimits).toEqual({
      maxConnections: 80_000,
      maxUnauthenticatedPerAddress: 4096,
    });
    expect(parseConfig(env, ['serve', '--grpc-max-connections', '120000']).grpcLimits.maxConnections).toBe(120_000);
  });

  it('refuses what is not a whole number of connections, naming the flag and the variable', () => {
    expect(() => parseConfig({}, ['serve', '--grpc-max-connections', 'lots'])).toThrow(
      '--grpc-max-connections / FLOTILLA_GRPC_MAX_CONNECTIONS: "lots" is not a whole number of connections, 1 or more',
    );
    expect(() => parseConfig({ FLOTILLA_GRPC_MAX_UNAUTHENTICATED_PER_ADDRESS: '0' }, ['serve'])).toThrow(
      /^--grpc-max-unauthenticated-per-address \/ FLOTILLA_GRPC_MAX_UNAUTHENTICATED_PER_ADDRESS: "0"/,
    );
  });
});
