import { createHash } from 'node:crypto';
import { FlotillaError } from '@flotilla/proto';
import type { KubeObject } from '../objects.js';

export class BundleIntegrityError extends FlotillaError {
  readonly code = 'BUNDLE_INTEGRITY';
}

/** Checks fetched bytes against the announced digest and reads the hub's canonical form (one JSON object a line). */
export function decodeBundle(bytes: Buffer, digest: string, deployment?: string): KubeObject[] {
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== digest) {
    throw new BundleIntegrityError(
      `bundle ${digest}${deployment ? ` of deployment ${deployment}` : ''}: content hashes to ${actual}, not the announced digest; refetching`,
    );
  }
  const text = bytes.toString('utf8');
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as KubeObject);
}
