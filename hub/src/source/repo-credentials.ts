import { closeSync, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { join, relative, isAbsolute, sep } from 'node:path';
import { FlotillaError } from '@flotilla/proto';
import { REPO_AUTH_KEYS } from '@flotilla/proto/api';
import type { SecretBox } from '../secrets.js';
import type { RepoAuth } from './git-source.js';

/** A repo's credentials refer to something the hub may not hand out, or cannot be read. */
export class RepoCredentialError extends FlotillaError {
  readonly code = 'REPO_CREDENTIAL';
}

/**
 * Where repo credentials may come from. A repo's `passwordFile`/`tokenFile` names a file in
 * `secretsDir`; its `passwordEnv`/`tokenEnv` names a variable starting with `envPrefix`. Nothing else
 * of the hub (its data directory, keys, tokens, environment) can be sent to a Git server.
 */
export interface RepoCredentialPolicy {
  secretsDir: string;
  envPrefix: string;
}

export const DEFAULT_REPO_ENV_PREFIX = 'FLOTILLA_REPO_';
/** The default secrets directory, under the hub's data directory. */
export const REPO_SECRETS_DIR = 'repo-secrets';
/** A password or token is short; a bigger file is not one (and is not read into memory). */
export const MAX_SECRET_FILE_BYTES = 16 * 1024;

/** Keys whose value the hub seals before storing and never shows. */
export const SEALED_AUTH_KEYS = ['password', 'token'];

// A relative name, one or more segments, none starting with a dot: no '..', no hidden files.
const SECRET_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const WHERE =
  'put the secret in a file of the repo secrets directory (--repo-secrets-dir) and give its name ' +
  '(auth passwordFile=<name>), or in a hub environment variable';

/** Refuses credentials inside a URL (`https://user:pass@host/`), without repeating them. */
export function checkRepoUrl(url: string): void {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url)) return;
  throw new RepoCredentialError(
    'its URL holds credentials (user:password@ or token@ before the host), which would be shown and logged ' +
      'with it; give the URL without them and the credentials as auth: username=<user> plus ' +
      'passwordFile=<name in --repo-secrets-dir>, tokenEnv=<variable with the allowed prefix>, or password=<value> ' +
      '(sealed by the hub)',
  );
}

/** The URL as it may be shown: credentials of a repo stored before they were refused are masked. */
export function displayRepoUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1***@');
}

/** Checks stored or requested auth against the policy; throws naming the field and what to do. */
export function checkRepoAuth(auth: Readonly<Record<string, string>> | undefined, envPrefix: string): void {
  if (!auth) return;
  for (const key of Object.keys(auth)) {
    if (!(REPO_AUTH_KEYS as readonly string[]).includes(key))
      throw new RepoCredentialError(`auth.${key} is not a credential setting (${REPO_AUTH_KEYS.join(', ')})`);
  }
  for (const kind of ['password', 'token'] as const) {
    const given = [kind, `${kind}Env`, `${kind}File`].filter((k) => auth[k] !== undefined);
    if (given.length > 1) throw new RepoCredentialError(`auth: give one of ${given.join(', ')}, not several`);
    const envName = auth[`${kind}Env`];
    if (envName !== undefined && !(ENV_NAME.test(envName) && envName.startsWith(envPrefix))) {
      throw new RepoCredentialError(
        `auth.${kind}Env "${envName}" does not start with ${envPrefix}: the hub reads repo credentials only ` +
          `from environment variables named ${envPrefix}* (--repo-env-prefix), never its own environment`,
      );
    }
    const file = auth[`${kind}File`];
    if (file !== undefined && !SECRET_NAME.test(file)) {
      // The value is not repeated: it is often a path of the hub.
      throw new RepoCredentialError(
        `auth.${kind}File is not the name of a file in the repo secrets directory (a relative name without ` +
          `'..' or a leading '.'; absolute paths are refused); ${WHERE}`,
      );
    }
  }
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Reads one secret by name: its real path must stay inside the directory, a regular file, size-capped. */
export function readSecretFile(secretsDir: string, name: string, field: string): string {
  let dir: string;
  let real: string;
  try {
    dir = realpathSync(secretsDir);
    real = realpathSync(join(dir, name));
  } catch (err) {
    throw new RepoCredentialError(
      `${field} "${name}" does not exist in the repo secrets directory (--repo-secrets-dir); create it there`,
      { cause: err },
    );
  }
  if (!isInside(dir, real)) {
    throw new RepoCredentialError(
      `${field} "${name}" resolves outside the repo secrets directory (a symlink out of it); refusing to read it`,
    );
  }
  const fd = openSync(real, 'r');
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RepoCredentialError(`${field} "${name}" is not a regular file`);
    if (st.size > MAX_SECRET_FILE_BYTES) {
      throw new RepoCredentialError(`${field} "${name}" is ${st.size} bytes, over ${MAX_SECRET_FILE_BYTES}`);
    }
    const buf = Buffer.alloc(st.size);
    const n = readSync(fd, buf, 0, st.size, 0);
    return buf.subarray(0, n).toString('utf8').trim();
  } finally {
    closeSync(fd);
  }
}

/**
 * The credentials a repo stands for: sealed values opened, a file name read from the secrets
 * directory, a prefixed variable read from `env`. Throws RepoCredentialError naming the repo when its
 * URL holds credentials or its auth refers to anything else, as repos stored before these rules may.
 */
export function resolveRepoAuth(
  repo: { name: string; url: string; auth?: Readonly<Record<string, string>> | undefined },
  box: SecretBox,
  policy: RepoCredentialPolicy,
  env: Readonly<Record<string, string | undefined>> = process.env,
): RepoAuth | undefined {
  const { auth } = repo;
  try {
    checkRepoUrl(repo.url);
    if (!auth) return undefined;
    checkRepoAuth(auth, policy.envPrefix);
    const one = (kind: 'password' | 'token'): string | undefined => {
      const sealed = auth[kind];
      if (sealed !== undefined) return box.open(sealed, `repo ${repo.name} ${kind}`);
      const envName = auth[`${kind}Env`];
      if (envName !== undefined) {
        const v = env[envName];
        if (v === undefined)
          throw new RepoCredentialError(
            `environment variable ${envName} (auth.${kind}Env) is not set in the hub's environment; set it ` +
              `where the hub runs and restart the hub, or give the ${kind} as ${kind}File=<name in --repo-secrets-dir>`,
          );
        return v;
      }
      const file = auth[`${kind}File`];
      return file === undefined ? undefined : readSecretFile(policy.secretsDir, file, `auth.${kind}File`);
    };
    const password = one('password');
    const token = one('token');
    return {
      ...(auth.username !== undefined ? { username: auth.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...(token !== undefined ? { token } : {}),
    };
  } catch (err) {
    if (!(err instanceof RepoCredentialError)) throw err;
    throw new RepoCredentialError(`repo ${repo.name}: ${err.message}`, { cause: err });
  }
}
