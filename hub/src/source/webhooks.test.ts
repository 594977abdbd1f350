import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookRejectedError } from './webhooks.js';

const SECRET = 's3cret';
const NOW = Date.parse('2030-01-01T00:00:00Z');
const TS = String(NOW / 1000);
const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/staging', after: 'abc' }));
const hmac = (b: Buffer | string, s = SECRET) => createHmac('sha256', s).update(b).digest('hex');
const generic = (ts = TS, signed: Buffer | string = `${ts}.${body.toString()}`) => ({
  'x-flotilla-timestamp': ts,
  'x-flotilla-signature': `sha256=${hmac(signed)}`,
});
const verify = (headers: Record<string, string>, b = body) => verifyWebhook('config', headers, b, SECRET, NOW);

describe('webhook verification', () => {
  it.each([
    ['github', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body)}` }, 'push'],
    ['github', { 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac(body)}` }, 'ping'],
    ['gitea', { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(body) }, 'push'],
    ['gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET }, 'push'],
    ['generic', generic(), 'push'],
  ] as const)('accepts a signed %s %s', (provider, headers, kind) => {
    expect(verify(headers)).toMatchObject({ provider, kind, branch: 'staging' });
  });

  it.each([
    ['github bad signature', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body, 'other')}` }],
    ['github unsigned', { 'x-github-event': 'push' }],
    ['gitea bad signature', { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(Buffer.from('tampered')) }],
    ['gitlab bad token', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guess' }],
    ['generic unsigned', {}],
    ['generic length mismatch', { ...generic(), 'x-flotilla-signature': 'sha256=00' }],
    ['generic body-only signature', { 'x-flotilla-signature': `sha256=${hmac(body)}` }],
    ['generic timestamp not signed', generic(TS, body)],
    ['generic timestamp changed', { ...generic(), 'x-flotilla-timestamp': String(NOW / 1000 - 1) }],
    ['generic stale timestamp', generic(String(NOW / 1000 - 301))],
    ['generic future timestamp', generic(String(NOW / 1000 + 301))],
    ['generic timestamp in milliseconds', generic(String(NOW))],
    ['generic timestamp not a number', generic('yesterday')],
  ])('rejects %s, naming the repo', (_name, headers) => {
    expect(() => verify(headers)).toThrow(WebhookRejectedError);
    expect(() => verify(headers)).toThrow(/repo config/);
  });

  it('names what to do about the timestamp', () => {
    expect(() => verify({ 'x-flotilla-signature': `sha256=${hmac(body)}` })).toThrow(
      /no X-Flotilla-Timestamp header .*sign "<timestamp>.<body>"/,
    );
    expect(() => verify(generic(String(NOW / 1000 - 600)))).toThrow(
      /is 600 s away from the hub's clock \(at most 300\)/,
    );
  });

  it('gives replay keys: the delivery id and the signed content, the same for a replay under a new id', () => {
    const github = (id: string, b = body) => ({
      'x-github-event': 'push',
      'x-github-delivery': id,
      'x-hub-signature-256': `sha256=${hmac(b)}`,
    });
    const first = verify(github('d1')).replayKeys;
    expect(first).toHaveLength(2);
    expect(verify(github('d1')).replayKeys).toEqual(first);
    const renamed = verify(github('d2')).replayKeys;
    expect(renamed[0]).toBe(first[0]);
    expect(renamed[1]).not.toBe(first[1]);
    const other = Buffer.from(JSON.stringify({ ref: 'refs/heads/staging', after: 'def' }));
    expect(verify(github('d3', other), other).replayKeys[0]).not.toBe(first[0]);
    const gitlab = verify({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET, 'idempotency-key': 'k' });
    expect(gitlab.replayKeys).toHaveLength(2);
    // Two generic deliveries of one body, signed at different times, are different deliveries.
    const later = String(NOW / 1000 + 1);
    expect(verify(generic()).replayKeys).not.toEqual(
      verifyWebhook('config', generic(later), body, SECRET, NOW + 1000).replayKeys,
    );
  });

  it('leaves the branch out when the payload names none', () => {
    const empty = Buffer.from('not json');
    expect(verify(generic(TS, `${TS}.not json`), empty)).toMatchObject({ provider: 'generic', kind: 'push' });
    expect(verify(generic(TS, `${TS}.not json`), empty)).not.toHaveProperty('branch');
  });
});
