// The agent's identity (credential, client certificate and key, the hub CA it pinned) outlives its pod
// in a Secret of its own namespace: the state dir is an emptyDir, and the registration token it came
// from works only once.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { KubeClient } from '../kube/client.js';

/** Secret key → file in the state dir, and whether the file is private (0600). */
export interface IdentityFiles {
  credential: string;
  'client.crt': string;
  'client.key': string;
  'hub-ca.crt': string;
}

const PRIVATE = new Set(['credential', 'client.key']);

export class IdentitySecret {
  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly name: string,
    private readonly files: IdentityFiles,
  ) {}

  private get ref() {
    return { apiVersion: 'v1', kind: 'Secret', namespace: this.namespace, name: this.name };
  }

  /** Writes what the Secret holds into the state dir, leaving files that already exist. Returns the keys restored. */
  async restore(): Promise<string[]> {
    const secret = await this.client.get(this.ref);
    const data = (secret?.data ?? {}) as Record<string, string>;
    const restored: string[] = [];
    for (const [key, path] of Object.entries(this.files)) {
      const value = data[key];
      if (value === undefined || existsSync(path)) continue;
      mkdirSync(dirname(path), { recursive: true });
      const mode = PRIVATE.has(key) ? 0o600 : 0o644;
      writeFileSync(path, Buffer.from(value, 'base64'), { mode });
      chmodSync(path, mode);
      restored.push(key);
    }
    return restored;
  }

  /** Stores the identity files that exist (server-side apply, so reruns are no-ops). Returns the keys saved. */
  async save(): Promise<string[]> {
    const data: Record<string, string> = {};
    for (const [key, path] of Object.entries(this.files)) {
      if (existsSync(path)) data[key] = readFileSync(path).toString('base64');
    }
    await this.client.apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: this.name,
          namespace: this.namespace,
          labels: { 'app.kubernetes.io/name': 'flotilla-agent', 'app.kubernetes.io/part-of': 'flotilla' },
        },
        type: 'Opaque',
        data,
      },
      { force: true },
    );
    return Object.keys(data);
  }
}
