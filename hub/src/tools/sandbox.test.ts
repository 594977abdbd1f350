import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bwrapSandbox, noSandbox, openSandbox, SandboxUnavailableError, type Sandbox } from './sandbox.js';

/** Runs a Node script in the sandbox, seeing only `tree`; its stdout parsed as JSON. */
function runIn(sandbox: Sandbox, tree: string, script: string, args: string[] = []): Promise<Record<string, unknown>> {
  const c = sandbox.wrap(process.execPath, ['-e', script, ...args], {
    readOnly: [tree],
    scratch: [],
    env: { PATH: '/usr/bin:/bin', TREE: tree },
  });
  return new Promise((resolve, reject) =>
    execFile(c.command, c.args, { env: c.env, timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Record<string, unknown>),
    ),
  );
}

// What a hostile template could try, written as a Node script so that each attempt reports its result.
const PROBE = `
const fs = require('node:fs');
const net = require('node:net');
const out = {};
const tryRead = (p) => { try { return fs.readFileSync(p, 'utf8'); } catch (e) { return e.code; } };
out.tree = tryRead(process.env.TREE + '/chart/values.yaml');
out.dataDir = tryRead(process.argv[1]);
out.passwd = tryRead('/etc/passwd');
out.env = Object.keys(process.env).sort();
out.uid = process.getuid();
try { fs.writeFileSync(process.env.TREE + '/chart/x', 'x'); out.write = 'written'; } catch (e) { out.write = e.code; }
const s = net.connect(Number(process.argv[2]), '127.0.0.1');
s.on('connect', () => { out.dial = 'connected'; s.destroy(); console.log(JSON.stringify(out)); });
s.on('error', (e) => { out.dial = e.code; console.log(JSON.stringify(out)); });
`;

describe('the render sandbox (bubblewrap)', () => {
  let dir: string;
  let listener: Server;
  let dialled = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-sandbox-'));
    writeFileSync(join(dir, 'admin.token'), 'flapi_secret\n');
    const tree = join(dir, 'trees', 'repo', 'abc');
    for (const [p, text] of [['chart/values.yaml', 'color: blue\n']] as const) {
      const file = join(tree, p);
      await import('node:fs/promises').then((fs) => fs.mkdir(join(file, '..'), { recursive: true }));
      writeFileSync(file, text);
    }
    listener = createServer((s) => {
      dialled++;
      s.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
    process.env.FLOTILLA_TEST_SECRET = 'must-not-leak';
  });

  afterAll(() => {
    listener.close();
    delete process.env.FLOTILLA_TEST_SECRET;
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the tree read-only, and nothing of the hub: files, environment, network, user', async () => {
    const port = String((listener.address() as AddressInfo).port);
    const tree = join(dir, 'trees', 'repo', 'abc');
    const r = await runIn(bwrapSandbox(), tree, PROBE, [join(dir, 'admin.token'), port]);
    expect(r).toEqual({
      tree: 'color: blue\n',
      dataDir: 'ENOENT',
      passwd: 'ENOENT',
      env: ['PATH', 'PWD', 'TREE'],
      uid: 65534,
      write: 'EROFS',
      dial: 'ECONNREFUSED',
    });
    expect(dialled).toBe(0);
  });

  it('without a sandbox the same script reaches all of it (what --render-sandbox none accepts)', async () => {
    const port = String((listener.address() as AddressInfo).port);
    const tree = join(dir, 'trees', 'repo', 'abc');
    const r = await runIn(noSandbox, tree, PROBE, [join(dir, 'admin.token'), port]);
    expect(r.dataDir).toBe('flapi_secret\n');
    expect(r.dial).toBe('connected');
    rmSync(join(tree, 'chart', 'x'), { force: true });
  });

  it('opens when bubblewrap works here, and says what to do when it does not', async () => {
    expect((await openSandbox('bwrap')).mode).toBe('bwrap');
    expect((await openSandbox('none')).mode).toBe('none');
    const missing = openSandbox('bwrap', '/nonexistent/bwrap');
    await expect(missing).rejects.toThrow(SandboxUnavailableError);
    await expect(missing).rejects.toThrow(/apt-get install bubblewrap.*--render-sandbox none/s);
  });
});
