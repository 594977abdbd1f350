import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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
  /**
   * What identifies this delivery (sha256 hex): the provider's delivery id when it sends one, and
   * the signed content, so a replay under a new id is recognized too.
   */
  replayKeys: string[];
}

/** A generic sender's signed timestamp may be this far from the hub's clock (as Slack's and Stripe's). */
export const WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 300;

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

function hmacHex(secret: string, ...parts: (string | Buffer)[]): string {
  const h = createHmac('sha256', secret);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

const sha256 = (...parts: (string | Buffer)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** The delivery id header of each provider (GitLab's Idempotency-Key stays the same across its retries). */
const DELIVERY_HEADERS: Record<WebhookProvider, readonly string[]> = {
  github: ['x-github-delivery'],
  gitea: ['x-gitea-delivery'],
  gitlab: ['idempotency-key', 'x-gitlab-event-uuid'],
  generic: [],
};

function replayKeys(provider: WebhookProvider, h: Headers, content: string): string[] {
  const id = DELIVERY_HEADERS[provider].map((n) => header(h, n)).find((v) => v !== undefined && v !== '');
  return [sha256(provider, '\0content\0', content), ...(id === undefined ? [] : [sha256(provider, '\0id\0', id)])];
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
 * (X-Gitlab-Token), Gitea (X-Gitea-Signature) and a generic sender (X-Flotilla-Timestamp: <unix
 * seconds>, X-Flotilla-Signature: sha256=<hmac of "<timestamp>.<body>">, the timestamp within 5
 * minutes of `nowMs`). `rawBody` must be the exact bytes received.
 */
export function verifyWebhook(
  repo: string,
  headers: Headers,
  rawBody: Buffer,
  secret: string,
  nowMs: number = Date.now(),
): WebhookResult {
  const provider = detect(headers);
  const reject = (why: string, what = 'check the webhook secret') =>
    new WebhookRejectedError(`webhook for repo ${repo} (${provider}) rejected: ${why}; ${what}`);
  const expected = () => hmacHex(secret, rawBody);
  const bodyHash = sha256(rawBody);
  let event: string | undefined;
  switch (provider) {
    case 'github': {
      const sig = header(headers, 'x-hub-signature-256');
      if (!sig) throw reject('no X-Hub-Signature-256 header');
      if (!sameSecret(sig, `sha256=${expected()}`)) throw reject('bad signature');
      event = header(headers, 'x-github-event');
      const kind = event === 'push' ? 'push' : event === 'ping' ? 'ping' : 'other';
      return { provider, kind, ...branch(rawBody), replayKeys: replayKeys(provider, headers, bodyHash) };
    }
    case 'gitea': {
      const sig = header(headers, 'x-gitea-signature');
      if (!sig) throw reject('no X-Gitea-Signature header');
      if (!sameSecret(sig, expected())) throw reject('bad signature');
      event = header(headers, 'x-gitea-event');
      const kind = event === 'push' ? 'push' : 'other';
      return { provider, kind, ...branch(rawBody), replayKeys: replayKeys(provider, headers, bodyHash) };
    }
    case 'gitlab': {
      const token = header(headers, 'x-gitlab-token');
      if (!token) throw reject('no X-Gitlab-Token header');
      if (!sameSecret(token, secret)) throw reject('bad token');
      event = header(headers, 'x-gitlab-event');
      const kind = event === 'Push Hook' ? 'push' : 'other';
      return { provider, kind, ...branch(rawBody), replayKeys: replayKeys(provider, headers, bodyHash) };
    }
    case 'generic': {
      const sig = header(headers, 'x-flotilla-signature');
      if (!sig) throw reject('no X-Flotilla-Signature header');
      const ts = header(headers, 'x-flotilla-timestamp');
      const sign = 'sign "<timestamp>.<body>" and send the unix seconds in X-Flotilla-Timestamp';
      if (ts === undefined)
        throw reject('no X-Flotilla-Timestamp header (a body-only signature can be replayed)', sign);
      if (!/^\d{1,12}$/.test(ts)) throw reject(`X-Flotilla-Timestamp "${ts.slice(0, 40)}" is not unix seconds`, sign);
      const skew = Math.floor(Math.abs(nowMs / 1000 - Number(ts)));
      if (skew > WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS) {
        throw reject(
          `X-Flotilla-Timestamp ${ts} is ${skew} s away from the hub's clock (at most ${WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS})`,
          "sign each delivery when it is sent, and check the sender's and the hub's clocks",
        );
      }
      if (!sameSecret(sig, `sha256=${hmacHex(secret, ts, '.', rawBody)}`)) throw reject('bad signature');
      return { provider, kind: 'push', ...branch(rawBody), replayKeys: replayKeys(provider, headers, sig) };
    }
  }
}

function branch(body: Buffer): { branch?: string } {
  const b = branchOf(body);
  return b === undefined ? {} : { branch: b };
}
