import { readFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import { Flags } from '@oclif/core';
import { FleetCommand } from '../base.js';
import { readSavedConfig, resolveConnection, writeSavedConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { details } from '../format.js';
import { caFromPem, caFromPin } from '../transport.js';

export default class Login extends FleetCommand<typeof Login> {
  static override summary = 'Log in to a hub: check the token with the hub, then save both.';
  static override description = `Saves the hub URL and token to ~/.config/flotilla/config.json (mode 0600), or to the file named by FLOTILLA_CONFIG. FLOTILLA_HUB_URL and FLOTILLA_TOKEN, when set, override the saved values for every command.

The hub serves HTTPS. When its certificate is signed by its own CA (the default), give that CA with --ca-file (flotilla-hub ca show) or pin it with --ca-hash (flotilla-hub ca hash; the hub also logs it at start): the CLI never trusts a hub it cannot verify. The CA is saved with the login. A token is never sent over plain HTTP to a hub that is not on loopback, unless --insecure-http.

The first admin token is written by the hub on its first start to <data-dir>/admin.token.`;
  static override examples = [
    {
      description: 'Log in with a token',
      command: '<%= config.bin %> login --hub https://hub.example.com --token flt_...',
    },
    {
      description: "Pin the hub's own CA, reading the token from a file (kept out of the shell history)",
      command:
        '<%= config.bin %> login --hub https://hub.example.com:8080 --ca-hash sha256:9f2c... --token-stdin < admin.token',
    },
    {
      description: 'A hub on this machine, over plain HTTP on loopback',
      command: '<%= config.bin %> login --hub http://127.0.0.1:8080 --token-stdin < /var/lib/flotilla/admin.token',
    },
  ];
  static override flags = {
    hub: Flags.string({ summary: 'The hub URL (https://hub.example.com).', env: 'FLOTILLA_HUB_URL' }),
    token: Flags.string({ summary: 'An API token.', env: 'FLOTILLA_TOKEN', exclusive: ['token-stdin'] }),
    'token-stdin': Flags.boolean({ summary: 'Read the token from standard input.' }),
    'ca-file': Flags.string({
      summary: "Trust the hub's certificate when it chains to this CA (PEM; flotilla-hub ca show).",
      exclusive: ['ca-hash'],
    }),
    'ca-hash': Flags.string({
      summary: "Trust the hub's own CA when its public key has this hash (sha256:...; flotilla-hub ca hash).",
    }),
    'insecure-http': Flags.boolean({
      summary: 'Allow sending the token over plain HTTP to a hub that is not on loopback (not recommended).',
    }),
  };

  async run() {
    const file = this.configFile();
    const saved = readSavedConfig(file);
    if (!this.flags.hub && !saved.hubUrl) {
      throw new UsageError('no hub URL given', {
        hint: 'pass --hub https://hub.example.com (or set FLOTILLA_HUB_URL)',
      });
    }
    const token = this.flags['token-stdin'] ? (await text(process.stdin)).trim() : this.flags.token;
    // The saved token is never sent to a hub named anew: a token comes with every login.
    const resolved = resolveConnection({ hubUrl: saved.hubUrl }, {}, { hub: this.flags.hub, token });
    if (!resolved.token) {
      throw new UsageError('no token given', {
        hint: 'pass --token or --token-stdin (an admin creates tokens with `fleet tokens create`)',
      });
    }
    const caCertificate = await this.trustedCa(resolved.hubUrl);
    const insecureHttp = this.flags['insecure-http'] || resolved.insecureHttp;
    const conn = { ...resolved, insecureHttp, ...(caCertificate ? { caCertificate } : {}) };
    const me = await this.client(conn).whoami();
    writeSavedConfig(file, {
      hubUrl: conn.hubUrl,
      token: conn.token,
      ...(caCertificate ? { caCertificate } : {}),
      ...(this.flags['insecure-http'] ? { insecureHttp: true } : {}),
    });
    const result = { hubUrl: conn.hubUrl, name: me.name, role: me.role, configFile: file };
    this.print(result, (r) =>
      details([
        ['Logged in to', r.hubUrl],
        ['As', `${r.name} (${r.role})`],
        ['Saved to', r.configFile],
      ]),
    );
    return result;
  }

  /** The CA given by file or found by its pin; none for a hub with a publicly trusted certificate. */
  private async trustedCa(hubUrl: string): Promise<string | undefined> {
    const file = this.flags['ca-file'];
    if (file !== undefined) {
      let pem: string;
      try {
        pem = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read --ca-file ${file}: ${(err as Error).message}`);
      }
      return caFromPem(pem, file);
    }
    const pin = this.flags['ca-hash'];
    return pin === undefined ? undefined : caFromPin(hubUrl, pin);
  }
}
