import { describe, expect, it } from 'vitest';
import { SERVE_OPTIONS } from './config.js';
import { route, SERVE_USAGE, TOP_USAGE } from './help.js';
import { natsListen } from './protocol/nats-transport.js';

describe('flotilla-hub help and routing (issue #29, item 5)', () => {
  it.each([
    [['--help'], TOP_USAGE],
    [['-h'], TOP_USAGE],
    [['help'], TOP_USAGE],
    [['help', 'serve'], SERVE_USAGE],
    [['serve', '--help'], SERVE_USAGE],
    [['serve', '--data-dir', 'd', '-h'], SERVE_USAGE],
    [['tokens', 'create', '--help'], TOP_USAGE],
  ])('%j prints help on stdout, exit 0', (argv, text) => {
    expect(route(argv)).toEqual({ kind: 'help', text: `${text}\n`, exitCode: 0, stream: 'stdout' });
  });

  it.each([
    [[], /^no command given; to run the hub: flotilla-hub serve\n/],
    [['--data-dir', 'd'], /^a command comes first, then "--data-dir"\n/],
    [['server'], /^unknown command "server"\n/],
    [['help', 'server'], /^unknown command "server"\n/],
  ])('%j is a usage error on stderr, exit 2', (argv, message) => {
    const r = route(argv);
    expect(r).toMatchObject({ kind: 'help', exitCode: 2, stream: 'stderr' });
    expect(r.kind === 'help' && r.text).toMatch(message);
  });

  it('routes the commands', () => {
    expect(route(['serve', '--insecure'])).toEqual({ kind: 'command', command: 'serve' });
    expect(route(['tokens', 'create', '--cluster', 'c1'])).toEqual({ kind: 'command', command: 'tokens' });
    expect(route(['ca', 'hash'])).toEqual({ kind: 'command', command: 'ca' });
    expect(route(['nats', 'init'])).toEqual({ kind: 'command', command: 'nats' });
  });

  it('serve --help describes every flag serve takes', () => {
    for (const flag of Object.keys(SERVE_OPTIONS)) expect(SERVE_USAGE).toContain(`--${flag}`);
  });
});

describe('natsListen', () => {
  it.each([
    ['nats://127.0.0.1:4333', '0.0.0.0:4333'],
    ['nats://nats', '0.0.0.0:4222'],
    ['tls://user:pw@nats.example:7422,nats://other:1', '0.0.0.0:7422'],
    ['nats://[::1]:4225', '0.0.0.0:4225'],
    ['ws://nats:8080', undefined],
  ])('%s listens on %s', (url, listen) => {
    expect(natsListen(url)).toBe(listen);
  });
});
