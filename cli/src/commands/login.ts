import { text } from 'node:stream/consumers';
import { Flags } from '@oclif/core';
import { FleetCommand } from '../base.js';
import { readSavedConfig, resolveConnection, writeSavedConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { details } from '../format.js';

export default class Login extends FleetCommand<typeof Login> {
  static override summary = 'Log in to a hub: check the token with the hub, then save both.';
  static override description = `Saves the hub URL and token to ~/.config/flotilla/config.json (mode 0600), or to the file named by FLOTILLA_CONFIG. FLOTILLA_HUB_URL and FLOTILLA_TOKEN, when set, override the saved values for every command.

The first admin token is written by the hub on its first start to <data-dir>/admin.token.`;
  static override examples = [
    {
      description: 'Log in with a token',
      command: '<%= config.bin %> login --hub https://hub.example.com --token flt_...',
    },
    {
      description: 'Read the token from a file, keeping it out of the shell history',
      command: '<%= config.bin %> login --hub http://127.0.0.1:8080 --token-stdin < /var/lib/flotilla/admin.token',
    },
  ];
  static override flags = {
    hub: Flags.string({ summary: 'The hub URL (https://hub.example.com).', env: 'FLOTILLA_HUB_URL' }),
    token: Flags.string({ summary: 'An API token.', env: 'FLOTILLA_TOKEN', exclusive: ['token-stdin'] }),
    'token-stdin': Flags.boolean({ summary: 'Read the token from standard input.' }),
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
    const conn = resolveConnection({ hubUrl: saved.hubUrl }, {}, { hub: this.flags.hub, token });
    if (!conn.token) {
      throw new UsageError('no token given', {
        hint: 'pass --token or --token-stdin (an admin creates tokens with `fleet tokens create`)',
      });
    }
    const me = await this.client(conn).whoami();
    writeSavedConfig(file, { hubUrl: conn.hubUrl, token: conn.token });
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
}
