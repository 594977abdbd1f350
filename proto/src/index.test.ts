import { describe, expect, it } from 'vitest';
import { fromWireState, toWireState, worstState, BUNDLE_STATES } from './index.js';
import { loadFlotillaProto, packageDefinition } from './runtime.js';
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
        deployments: [
          {
            deployment: 'prod/apps-web',
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
    expect(got.desired?.deployments[0]).toMatchObject({
      deployment: 'prod/apps-web',
      generation: '7',
      sizeBytes: '1234',
      options: { defaultNamespace: 'web', selfHeal: true, prune: true, forceConflicts: false },
    });
    expect(got.desired?.deployments[0]?.options?.ignore[0]?.jsonPointers).toEqual(['/spec/replicas']);
  });

  it('encodes an unchanged reconcile in a handful of bytes', () => {
    const connect = loadFlotillaProto().flotilla.v1.AgentService.service.Connect;
    const bytes = connect.responseSerialize({ desired: { generation: 42, unchanged: true } });
    expect(bytes.length).toBeLessThan(16);
  });

  // The messages renamed for the deployment (BundleRef, BundleStatus, bundle_id) kept their field
  // numbers: what an agent or hub of 0.1 writes as bundle_id is read as `deployment`, and back.
  it('names the deployment in field 1 of DeploymentRef, DeploymentStatus and DriftReport, as bundle_id was', () => {
    const v1 = loadFlotillaProto().flotilla.v1;
    const { Connect } = v1.AgentService.service;
    const id = Buffer.from('dev/web');
    const field1 = [0x0a, id.length, ...id];
    const desired = [0x12, field1.length, ...field1]; // DesiredState.deployments (2), was `bundles`
    const hubBytes = Buffer.from([0x12, desired.length, ...desired]); // HubMessage.desired (2)
    expect(Connect.responseSerialize({ desired: { deployments: [{ deployment: 'dev/web' }] } })).toEqual(hubBytes);
    expect(Connect.responseDeserialize(hubBytes).desired?.deployments[0]?.deployment).toBe('dev/web');
    const status = Buffer.from([0x12, field1.length, ...field1]); // AgentMessage.status (2)
    expect(Connect.requestSerialize({ status: { deployment: 'dev/web' } })).toEqual(status);
    expect(Connect.requestDeserialize(status).status?.deployment).toBe('dev/web');
    const drift = Buffer.from([0x1a, field1.length, ...field1]); // AgentMessage.drift (3)
    expect(Connect.requestSerialize({ drift: { deployment: 'dev/web' } })).toEqual(drift);
    expect(Connect.requestDeserialize(drift).drift?.deployment).toBe('dev/web');
    const held = Buffer.from([0x22, field1.length, ...field1]); // Hello.held (4)
    const hello = Buffer.from([0x0a, held.length, ...held]); // AgentMessage.hello (1)
    expect(Connect.requestSerialize({ hello: { held: [{ deployment: 'dev/web' }] } })).toEqual(hello);
    expect(Connect.requestDeserialize(hello).hello?.held[0]?.deployment).toBe('dev/web');
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
