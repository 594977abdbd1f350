import { describe, expect, it } from 'vitest';
import {
  fromWireState,
  loadFlotillaProto,
  packageDefinition,
  toWireState,
  worstState,
  BUNDLE_STATES,
} from './index.js';
import type { HubMessage, HubMessage__Output } from './index.js';

describe('proto contract', () => {
  it('loads the AgentService and Registration services', () => {
    const proto = loadFlotillaProto();
    expect(Object.keys(proto.flotilla.v1.AgentService.service)).toEqual(['Connect', 'FetchBundle']);
    expect(Object.keys(proto.flotilla.v1.Registration.service)).toEqual(['Register', 'RenewClientCertificate']);
  });

  it('round-trips a desired-state announcement through real protobuf encoding', () => {
    const connect = loadFlotillaProto().flotilla.v1.AgentService.service.Connect;
    const sent: HubMessage = {
      desired: {
        generation: '18446744073709551615',
        bundles: [
          {
            bundleId: 'prod/apps-web',
            digest: 'a'.repeat(64),
            generation: 7,
            sizeBytes: 1234,
            revision: 'deadbeef',
            options: {
              defaultNamespace: 'web',
              selfHeal: true,
              prune: true,
              ignore: [{ jsonPointers: ['/spec/replicas'] }],
            },
          },
        ],
      },
    };
    const bytes = connect.responseSerialize(sent);
    const got: HubMessage__Output = connect.responseDeserialize(bytes);
    expect(got.msg).toBe('desired');
    expect(got.desired?.generation).toBe('18446744073709551615');
    expect(got.desired?.unchanged).toBe(false);
    expect(got.desired?.bundles[0]).toMatchObject({
      bundleId: 'prod/apps-web',
      generation: '7',
      sizeBytes: '1234',
      options: { defaultNamespace: 'web', selfHeal: true, prune: true, forceConflicts: false },
    });
    expect(got.desired?.bundles[0]?.options?.ignore[0]?.jsonPointers).toEqual(['/spec/replicas']);
  });

  it('encodes an unchanged reconcile in a handful of bytes', () => {
    const connect = loadFlotillaProto().flotilla.v1.AgentService.service.Connect;
    const bytes = connect.responseSerialize({ desired: { generation: 42, unchanged: true } });
    expect(bytes.length).toBeLessThan(16);
  });

  it('resolves the same definition object once', () => {
    expect(packageDefinition()).toBe(packageDefinition());
  });
});

describe('bundle states', () => {
  it.each([
    [[], 'Ready'],
    [['Ready', 'Ready'], 'Ready'],
    [['Ready', 'NotReady'], 'NotReady'],
    [['Modified', 'Pending', 'Ready'], 'Modified'],
    [['WaitApplied', 'ErrApplied', 'OutOfSync'], 'ErrApplied'],
  ] as const)('worst of %j is %s', (states, worst) => {
    expect(worstState(states)).toBe(worst);
  });

  it('maps every state to the wire and back', () => {
    for (const s of BUNDLE_STATES) expect(fromWireState(toWireState(s))).toBe(s);
    expect(fromWireState('BUNDLE_STATE_UNSPECIFIED')).toBe('Pending');
  });
});
