import { FlotillaError } from '@flotilla/proto';
import type { KubeObject } from '../bundle/object.js';

/**
 * What the hub does with a Secret whose values sit in Git in plain text (base64 is not
 * encryption): `warn` (the default) renders it and records a PlaintextSecret event, `refuse` fails
 * the render (the previous bundle stays deployed), `allow` says nothing.
 */
export const PLAINTEXT_SECRET_POLICIES = ['warn', 'refuse', 'allow'] as const;
export type PlaintextSecretPolicy = (typeof PLAINTEXT_SECRET_POLICIES)[number];

export class PlaintextSecretError extends FlotillaError {
  readonly code = 'PLAINTEXT_SECRET';
}

const ADVICE =
  'keep secret values out of Git: use Sealed Secrets, SOPS or an External Secrets store, ' +
  "or set the hub's --plaintext-secrets policy";

/** `v1` Secrets that carry values (`data` or `stringData` with at least one key): "namespace/name". */
export function plaintextSecrets(objects: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o.kind !== 'Secret' || o.apiVersion !== 'v1') continue;
    const filled = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).length > 0;
    if (!filled(o.data) && !filled(o.stringData)) continue;
    out.push(`${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
  }
  return out;
}

/**
 * Applies the policy to a rendered target: throws PlaintextSecretError under `refuse`, returns the
 * warning text under `warn`, undefined when there is nothing to say.
 */
export function checkPlaintextSecrets(
  objects: readonly KubeObject[],
  policy: PlaintextSecretPolicy,
  where: string,
): string | undefined {
  if (policy === 'allow') return undefined;
  const found = plaintextSecrets(objects);
  if (found.length === 0) return undefined;
  const what = `${where}: Secret${found.length > 1 ? 's' : ''} ${found.join(', ')} ${found.length > 1 ? 'hold' : 'holds'} values in plain text in Git`;
  if (policy === 'refuse') throw new PlaintextSecretError(`${what}; refused by policy: ${ADVICE}`);
  return `${what}; ${ADVICE}`;
}
