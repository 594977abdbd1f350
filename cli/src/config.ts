import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigFileError, NotLoggedInError, UsageError } from './errors.js';

/** What `fleet login` saves. */
export interface SavedConfig {
  hubUrl?: string;
  token?: string;
  /** The CA (PEM) that the hub's certificate must chain to, when it is not a public one (the hub's own CA). */
  caCertificate?: string;
  /** Plain HTTP to a hub that is not on loopback was asked for at login (--insecure-http). */
  insecureHttp?: boolean;
}

/** Where a command connects, and where each value came from (for `fleet login` and error hints). */
export interface Connection {
  hubUrl: string;
  token: string | undefined;
  caCertificate?: string;
  insecureHttp: boolean;
  source: { hubUrl: 'flag' | 'env' | 'config'; token: 'flag' | 'env' | 'config' | 'none' };
}

type Env = Readonly<Record<string, string | undefined>>;

/** $FLOTILLA_CONFIG, else $XDG_CONFIG_HOME/flotilla/config.json, else ~/.config/flotilla/config.json. */
export function configPath(env: Env, home: string): string {
  if (env.FLOTILLA_CONFIG) return env.FLOTILLA_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(home, '.config');
  return join(base, 'flotilla', 'config.json');
}

/** Parses the saved file's text; throws one error naming the file and the bad field. */
export function parseSavedConfig(text: string, file: string): SavedConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(`${file} is not valid JSON: ${(err as Error).message}`, {
      hint: 'fix or delete it, then run `fleet login` again',
    });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigFileError(`${file} must hold a JSON object`, { hint: 'run `fleet login` again' });
  }
  const out: SavedConfig = {};
  for (const key of ['hubUrl', 'token', 'caCertificate'] as const) {
    const v = (raw as Record<string, unknown>)[key];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new ConfigFileError(`${file}: "${key}" must be a string`);
    out[key] = v;
  }
  const insecure = (raw as Record<string, unknown>).insecureHttp;
  if (insecure !== undefined && typeof insecure !== 'boolean') {
    throw new ConfigFileError(`${file}: "insecureHttp" must be true or false`);
  }
  if (insecure === true) out.insecureHttp = true;
  return out;
}

/** The saved config, or an empty one when the file does not exist yet. */
export function readSavedConfig(file: string): SavedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigFileError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return parseSavedConfig(text, file);
}

/** Writes the file readable by its owner only (it holds a token), atomically. */
export function writeSavedConfig(file: string, config: SavedConfig): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** A hub URL as typed (`hub.example.com:8080`, `http://127.0.0.1:8080/`) made canonical, or a UsageError. */
export function normalizeHubUrl(input: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`hub URL "${input}" is not a URL`, { hint: 'e.g. --hub https://hub.example.com' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`hub URL "${input}" must be http or https`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * Flags win over the environment (FLOTILLA_HUB_URL, FLOTILLA_TOKEN), which wins over the saved file.
 * Pure: reads only what it is given.
 */
export function resolveConnection(
  saved: SavedConfig,
  env: Env,
  flags: { hub?: string | undefined; token?: string | undefined } = {},
): Connection {
  const hub = pick(flags.hub, env.FLOTILLA_HUB_URL, saved.hubUrl);
  if (!hub) {
    throw new NotLoggedInError('no hub to talk to', {
      hint: 'run `fleet login --hub URL --token TOKEN`, or set FLOTILLA_HUB_URL and FLOTILLA_TOKEN',
    });
  }
  const token = pick(flags.token, env.FLOTILLA_TOKEN, saved.token);
  const hubUrl = normalizeHubUrl(hub.value);
  // What was saved for one hub (its CA, consent to plain HTTP) is never applied to another.
  const sameHub = saved.hubUrl !== undefined && normalizeHubUrl(saved.hubUrl) === hubUrl;
  return {
    hubUrl,
    token: token?.value,
    ...(sameHub && saved.caCertificate ? { caCertificate: saved.caCertificate } : {}),
    insecureHttp:
      ['1', 'true', 'yes'].includes((env.FLOTILLA_INSECURE_HTTP ?? '').toLowerCase()) ||
      (sameHub && saved.insecureHttp === true),
    source: { hubUrl: hub.from, token: token?.from ?? 'none' },
  };
}

function pick(
  flag: string | undefined,
  env: string | undefined,
  saved: string | undefined,
): { value: string; from: 'flag' | 'env' | 'config' } | undefined {
  if (flag) return { value: flag, from: 'flag' };
  if (env) return { value: env, from: 'env' };
  if (saved) return { value: saved, from: 'config' };
  return undefined;
}
