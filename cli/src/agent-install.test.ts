import type { ClusterDetail, HubInfo } from '@flotilla/proto/api';
import { describe, expect, it } from 'vitest';
import { agentAddress, waitRegistered } from './agent-install.js';
import { NotReadyError, UsageError } from './errors.js';

const cluster = (over: Partial<ClusterDetail>): ClusterDetail => ({
  name: 'eu-1',
  labels: {},
  condition: 'NeverSeen',
  registered: false,
  createdAt: '2026-01-01T00:00:00Z',
  state: 'Ready',
  deployments: 0,
  groups: [],
  environments: [],
  deploymentList: [],
  ...over,
});

describe('waitRegistered', () => {
  it('waits for a registration after the install began, not for the old agent still connected', async () => {
    const answers = [false, false, true];
    let polls = 0;
    const c = await waitRegistered(
      {
        registeredSince: async () => answers[polls] ?? true,
        cluster: async () => {
          polls += 1;
          return cluster({ registered: true, condition: 'Connected' });
        },
      },
      { cluster: 'eu-1', namespace: 'flotilla-system', timeoutMs: 60_000, sleep: async () => {} },
    );
    expect(c.condition).toBe('Connected');
    expect(polls).toBe(3);
  });

  it('gives up at the deadline saying how far the agent got and where its logs are', async () => {
    let t = 0;
    const err = await waitRegistered(
      { registeredSince: async () => true, cluster: async () => cluster({ registered: true, condition: 'Stale' }) },
      {
        cluster: 'eu-1',
        namespace: 'agents',
        timeoutMs: 5000,
        now: () => t,
        sleep: async (ms) => void (t += ms),
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotReadyError);
    expect((err as NotReadyError).message).toMatch(/within 5s \(registered, condition Stale\)/);
    expect((err as NotReadyError).hint).toMatch(
      /^check the agent: kubectl -n agents logs deploy\/flotilla-agent; on a cluster with no container runtime .*run it as a process \(flotilla-agent run --help/,
    );
  });
});

describe('agentAddress', () => {
  const hub: HubInfo = { version: '0.1.0', transport: 'grpc', agentAddress: 'hub.example.com:9443' };
  it('takes the flag over what the hub advertises, and needs one of them', () => {
    expect(agentAddress(undefined, hub)).toBe('hub.example.com:9443');
    expect(agentAddress('10.0.0.1:9443', hub)).toBe('10.0.0.1:9443');
    expect(() => agentAddress(undefined, { version: '0.1.0', transport: 'grpc' })).toThrow(UsageError);
  });
});
