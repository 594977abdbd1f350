import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configPath, normalizeHubUrl, readSavedConfig, resolveConnection, writeSavedConfig } from './config.js';
import { ConfigFileError, NotLoggedInError, UsageError } from './errors.js';

describe('configPath', () => {
  it('prefers FLOTILLA_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configPath({ FLOTILLA_CONFIG: '/x/c.json', XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toBe('/x/c.json');
    expect(configPath({ XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toBe('/xdg/flotilla/config.json');
    expect(configPath({}, '/home/u')).toBe('/home/u/.config/flotilla/config.json');
  });
});

describe('resolveConnection', () => {
  const saved = { hubUrl: 'https://saved.example.com', token: 'saved-token' };

  it('takes flags over the environment over the saved file, and says where each came from', () => {
    expect(resolveConnection(saved, {})).toEqual({
      hubUrl: 'https://saved.example.com',
      token: 'saved-token',
      insecureHttp: false,
      source: { hubUrl: 'config', token: 'config' },
    });
    const env = { FLOTILLA_HUB_URL: 'http://127.0.0.1:8080/', FLOTILLA_TOKEN: 'env-token' };
    expect(resolveConnection(saved, env)).toMatchObject({ hubUrl: 'http://127.0.0.1:8080', token: 'env-token' });
    expect(resolveConnection(saved, env, { token: 'flag-token' })).toMatchObject({
      token: 'flag-token',
      source: { hubUrl: 'env', token: 'flag' },
    });
  });

  it('applies the saved CA and plain-HTTP consent only to the hub they were saved for', () => {
    const withCa = { ...saved, caCertificate: 'PEM', insecureHttp: true };
    expect(resolveConnection(withCa, {})).toMatchObject({ caCertificate: 'PEM', insecureHttp: true });
    const other = resolveConnection(withCa, { FLOTILLA_HUB_URL: 'https://other.example.com' });
    expect(other.caCertificate).toBeUndefined();
    expect(other.insecureHttp).toBe(false);
    expect(resolveConnection(saved, { FLOTILLA_INSECURE_HTTP: '1' }).insecureHttp).toBe(true);
  });

  it('allows no token (the hub answers 401 with a hint) but needs a hub', () => {
    expect(resolveConnection({ hubUrl: 'hub.example.com' }, {})).toMatchObject({
      hubUrl: 'https://hub.example.com',
      token: undefined,
      source: { token: 'none' },
    });
    expect(() => resolveConnection({}, {})).toThrow(NotLoggedInError);
  });
});

describe('normalizeHubUrl', () => {
  it.each([
    ['hub.example.com', 'https://hub.example.com'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['https://example.com/flotilla/', 'https://example.com/flotilla'],
  ])('%s → %s', (input, out) => expect(normalizeHubUrl(input)).toBe(out));

  it('refuses what is not an http(s) URL', () => {
    expect(() => normalizeHubUrl('ftp://x')).toThrow(UsageError);
    expect(() => normalizeHubUrl('http://')).toThrow(UsageError);
  });
});

describe('the saved file', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('is written readable by its owner only, and read back', () => {
    dir = mkdtempSync(join(tmpdir(), 'fleet-config-'));
    const file = join(dir, 'nested', 'config.json');
    expect(readSavedConfig(file)).toEqual({});
    writeSavedConfig(file, { hubUrl: 'https://h', token: 't' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readSavedConfig(file)).toEqual({ hubUrl: 'https://h', token: 't' });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ hubUrl: 'https://h', token: 't' });
  });

  it('names the file and the field when it is malformed', () => {
    dir = mkdtempSync(join(tmpdir(), 'fleet-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, '{ not json');
    expect(() => readSavedConfig(file)).toThrow(ConfigFileError);
    expect(() => readSavedConfig(file)).toThrow(file);
    writeFileSync(file, '{"token": 42}');
    expect(() => readSavedConfig(file)).toThrow(/"token" must be a string/);
  });
});
