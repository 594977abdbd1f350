import { FleetCommand } from '../base.js';
import { details } from '../format.js';

export default class WhoAmI extends FleetCommand<typeof WhoAmI> {
  static override summary = 'Show who the token belongs to, its role, and which hub it talks to.';
  static override examples = ['<%= config.bin %> whoami', '<%= config.bin %> whoami -o json'];

  async run() {
    const conn = this.connection();
    const me = await this.client(conn).whoami();
    const result = { ...me, hubUrl: conn.hubUrl };
    this.print(result, (r) =>
      details([
        ['Name', r.name],
        ['Role', r.role],
        ['Hub', r.hubUrl],
      ]),
    );
    return result;
  }
}
