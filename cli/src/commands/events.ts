import { Flags } from '@oclif/core';
import { stringify } from 'yaml';
import { EVENT_KINDS } from '@flotilla/common';
import { PAGE_LIMITS, type FleetEvent } from '@flotilla/proto/api';
import { FleetCommand } from '../base.js';
import type { EventFilter } from '../client.js';
import { collectPages } from '../pages.js';
import { eventLine, eventsTable } from '../status-view.js';

export default class Events extends FleetCommand<typeof Events> {
  static override summary =
    'Show the event log (commits seen, renders, applies, drift, promotions, rollbacks), or follow it live.';
  static override description = `With --follow, prints events as they happen until interrupted (Ctrl-C). A dropped connection is resumed where it left off (Last-Event-ID), so no event is lost or shown twice. With -o json, --follow prints one JSON object per line.`;
  static override examples = [
    '<%= config.bin %> events --limit 20',
    '<%= config.bin %> events --environment prod --kind Promotion --kind Rollback',
    '<%= config.bin %> events --follow',
    {
      description: 'Follow as JSON lines, for a script',
      command: '<%= config.bin %> events --follow -o json | jq .kind',
    },
  ];
  static override flags = {
    follow: Flags.boolean({ char: 'f', summary: 'Keep printing new events as they happen.' }),
    // Every kind the hub records, and only those: one vocabulary with the hub's store.
    kind: Flags.option({
      char: 'k',
      options: EVENT_KINDS,
      multiple: true,
      delimiter: ',',
      summary: 'Only events of this kind (repeat, or separate by commas, for several).',
    })(),
    cluster: Flags.string({ char: 'c', summary: 'Only events about this cluster.' }),
    environment: Flags.string({ char: 'e', summary: 'Only events about this environment.' }),
    target: Flags.string({ char: 't', summary: 'Only events about this target.' }),
    repo: Flags.string({ char: 'r', summary: 'Only events about this repo.' }),
    after: Flags.integer({ summary: 'Only events after this id.', min: 0 }),
    limit: Flags.integer({
      char: 'n',
      summary: 'At most this many events (without --follow): the latest, or the first after --after. Default 50.',
      min: 1,
    }),
  };

  async run() {
    const f = this.flags;
    const filter: EventFilter = { cluster: f.cluster, environment: f.environment, target: f.target, repo: f.repo };
    const kinds: readonly string[] | undefined = f.kind;
    const wanted = (e: FleetEvent) =>
      (!kinds || kinds.includes(e.kind)) &&
      (['cluster', 'environment', 'target', 'repo'] as const).every((k) => !filter[k] || e[k] === filter[k]);
    // One kind filters at the hub; several are filtered here.
    const server = { ...filter, kind: kinds?.length === 1 ? kinds[0] : undefined };
    if (f.follow) return this.follow(server, wanted, f.after);
    // Without --after: the latest events, a page at a time going back; with it, the first ones after it.
    const limit = f.limit ?? 50;
    const latest = f.after === undefined;
    const query: EventFilter = { ...server, after: f.after, limit: Math.min(limit, PAGE_LIMITS.max), newest: latest };
    const { items: read } = await collectPages(
      (next) => this.client().eventPage({ ...query, ...next }),
      limit,
      latest ? 'back' : 'forward',
    );
    const items = read.filter(wanted);
    this.print(items, eventsTable);
    return items;
  }

  private async follow(
    filter: EventFilter,
    wanted: (e: FleetEvent) => boolean,
    after: number | undefined,
  ): Promise<void> {
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await this.client().followEvents({
        filter,
        ...(after !== undefined ? { after } : {}),
        signal: ac.signal,
        onEvent: (e) => {
          if (!wanted(e)) return;
          if (this.format === 'json') process.stdout.write(`${JSON.stringify(e)}\n`);
          else if (this.format === 'yaml') process.stdout.write(`---\n${stringify(e, { lineWidth: 0 })}`);
          else process.stdout.write(`${eventLine(e)}\n`);
        },
        onReconnect: (err) => process.stderr.write(`event stream interrupted (${err.message}); reconnecting\n`),
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }
}
