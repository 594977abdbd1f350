import { createHmac, timingSafeEqual } from 'node:crypto';
import { FlotillaError } from '@flotilla/proto';

export class WebhookRejectedError extends FlotillaError {
  readonly code = 'WEBHOOK_REJECTED';
}

export const WEBHOOK_PROVIDERS = ['github', 'gitlab', 'gitea', 'generic'] as const;
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number];

export interface WebhookResult {
  provider: WebhookProvider;
  /** push: fetch now. ping: the provider checks the hook works; nothing to fetch. */
  kind: 'push' | 'ping' | 'other';
  /** The pushed branch, when the payload names one. */
  branch?: string;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(h: Headers, name: string): string | undefined {
  const v = h[name] ?? h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function hmacHex(secret: string, body: Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

function branchOf(body: Buffer): string | undefined {
  try {
    const ref = (JSON.parse(body.toString('utf8')) as { ref?: unknown }).ref;
    return typeof ref === 'string' && ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  } catch {
    return undefined;
  }
}

function detect(h: Headers): WebhookProvider {
  if (header(h, 'x-gitea-signature') !== undefined || header(h, 'x-gitea-event') !== undefined) return 'gitea';
  if (header(h, 'x-github-event') !== undefined) return 'github';
  if (header(h, 'x-gitlab-event') !== undefined) return 'gitlab';
  return 'generic';
}

/**
 * Checks a push webhook against the repo's secret, for GitHub (X-Hub-Signature-256), GitLab
 * (X-Gitlab-Token), Gitea (X-Gitea-Signature) and a generic sender (X-Flotilla-Signature:
 * sha256=<hmac of the body>). `rawBody` must be the exact bytes received.
 */
export function verifyWebhook(repo: string, headers: Headers, rawBody: Buffer, secret: string): WebhookResult {
  const provider = detect(headers);
  const reject = (why: string) =>
    new WebhookRejectedError(`webhook for repo ${repo} (${provider}) rejected: ${why}; check the webhook secret`);
  const expected = hmacHex(secret, rawBody);
  let event: string | undefined;
  switch (provider) {
    case 'github': {
      const sig = header(headers, 'x-hub-signature-256');
      if (!sig) throw reject('no X-Hub-Signature-256 header');
      if (!sameSecret(sig, `sha256=${expected}`)) throw reject('bad signature');
      event = header(headers, 'x-github-event');
      return { provider, kind: event === 'push' ? 'push' : event === 'ping' ? 'ping' : 'other', ...branch(rawBody) };
    }
    case 'gitea': {
      const sig = header(headers, 'x-gitea-signature');
      if (!sig) throw reject('no X-Gitea-Signature header');
      if (!sameSecret(sig, expected)) throw reject('bad signature');
      event = header(headers, 'x-gitea-event');
      return { provider, kind: event === 'push' ? 'push' : 'other', ...branch(rawBody) };
    }
    case 'gitlab': {
      const token = header(headers, 'x-gitlab-token');
      if (!token) throw reject('no X-Gitlab-Token header');
      if (!sameSecret(token, secret)) throw reject('bad token');
      event = header(headers, 'x-gitlab-event');
      return { provider, kind: event === 'Push Hook' ? 'push' : 'other', ...branch(rawBody) };
    }
    case 'generic': {
      const sig = header(headers, 'x-flotilla-signature');
      if (!sig) throw reject('no X-Flotilla-Signature header');
      if (!sameSecret(sig, `sha256=${expected}`)) throw reject('bad signature');
      return { provider, kind: 'push', ...branch(rawBody) };
    }
  }
}

function branch(body: Buffer): { branch?: string } {
  const b = branchOf(body);
  return b === undefined ? {} : { branch: b };
}
