import { Parser } from '@oclif/core';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS } from '@flotilla/common';
import Events from './events.js';

const parseKinds = async (argv: string[]) => (await Parser.parse(argv, { flags: { kind: Events.flags.kind } })).flags;

describe('fleet events --kind', () => {
  // The hub's store records exactly EVENT_KINDS (hub/src/store/events.ts re-exports them).
  it('offers every kind of event the hub records, and only those', () => {
    expect(Events.flags.kind.options).toEqual([...EVENT_KINDS]);
  });

  it('takes kinds repeated or separated by commas, PlaintextSecret among them', async () => {
    expect(await parseKinds(['--kind', 'Promotion,Rollback', '-k', 'PlaintextSecret'])).toEqual({
      kind: ['Promotion', 'Rollback', 'PlaintextSecret'],
    });
  });

  it('refuses a kind the hub does not record, listing the ones it does', async () => {
    await expect(parseKinds(['--kind', 'NoSuchKind'])).rejects.toThrow(/NoSuchKind.*CommitSeen/s);
  });
});
