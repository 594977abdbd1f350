import { describe, expect, it } from 'vitest';
import { agentSubject, clusterToken, desiredSubject, natsCodecs, parseAgentSubject, reportSubject } from './nats.js';

describe('NATS subjects and codecs', () => {
  it('puts each cluster in one subject token, hashing names that would change the subject', () => {
    expect(clusterToken('eu-west_1')).toBe('eu-west_1');
    for (const name of ['prod.eu', 'a*b', 'a>b', 'has space', 'x'.repeat(65)]) {
      expect(clusterToken(name)).toMatch(/^h[0-9a-f]{40}$/);
    }
    expect(clusterToken('prod.eu')).not.toBe(clusterToken('prod-eu'));
    expect(agentSubject('prod.eu', 'hello').split('.')).toHaveLength(4);
    expect(parseAgentSubject(agentSubject('alpha', 'fetch'))).toEqual({ token: 'alpha', verb: 'fetch' });
    expect(parseAgentSubject(reportSubject('alpha', 'drift'))).toEqual({ token: 'alpha', verb: 'drift' });
    expect(parseAgentSubject('flotilla.agent.alpha')).toBeUndefined();
    expect(desiredSubject('alpha')).toBe('$KV.flotilla-desired.alpha');
  });

  it('encodes the gRPC messages as protobuf: an "unchanged" answer is a few bytes', () => {
    const c = natsCodecs();
    const unchanged = c.hub.encode({ desired: { generation: '12345678901234567890', unchanged: true, bundles: [] } });
    expect(unchanged.length).toBeLessThanOrEqual(32);
    expect(c.hub.decode(unchanged).desired).toMatchObject({ generation: '12345678901234567890', unchanged: true });
    const hello = c.agent.decode(c.agent.encode({ hello: { clusterId: 'alpha', appliedGeneration: '7' } }));
    expect(hello.hello).toMatchObject({ clusterId: 'alpha', appliedGeneration: '7', held: [] });
  });
});
