import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookRejectedError } from './webhooks.js';

const SECRET = 's3cret';
const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/staging', after: 'abc' }));
const hmac = (b: Buffer, s = SECRET) => createHmac('sha256', s).update(b).digest('hex');

describe('webhook verification', () => {
  it.each([
    ['github', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body)}` }, 'push'],
    ['github', { 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${hmac(body)}` }, 'ping'],
    ['gitea', { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(body) }, 'push'],
    ['gitlab', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': SECRET }, 'push'],
    ['generic', { 'x-flotilla-signature': `sha256=${hmac(body)}` }, 'push'],
  ] as const)('accepts a signed %s %s', (provider, headers, kind) => {
    const r = verifyWebhook('config', headers, body, SECRET);
    expect(r).toEqual({ provider, kind, branch: 'staging' });
  });

  it.each([
    ['github bad signature', { 'x-github-event': 'push', 'x-hub-signature-256': `sha256=${hmac(body, 'other')}` }],
    ['github unsigned', { 'x-github-event': 'push' }],
    ['gitea bad signature', { 'x-gitea-event': 'push', 'x-gitea-signature': hmac(Buffer.from('tampered')) }],
    ['gitlab bad token', { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guess' }],
    ['generic unsigned', {}],
    ['generic length mismatch', { 'x-flotilla-signature': 'sha256=00' }],
  ])('rejects %s, naming the repo', (_name, headers) => {
    expect(() => verifyWebhook('config', headers, body, SECRET)).toThrow(WebhookRejectedError);
    expect(() => verifyWebhook('config', headers, body, SECRET)).toThrow(/repo config/);
  });

  it('leaves the branch out when the payload names none', () => {
    const empty = Buffer.from('not json');
    expect(verifyWebhook('config', { 'x-flotilla-signature': `sha256=${hmac(empty)}` }, empty, SECRET)).toEqual({
      provider: 'generic',
      kind: 'push',
    });
  });
});
