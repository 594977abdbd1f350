#!/usr/bin/env node
import { route } from './help.js';
import { run } from './run.js';
import { withKubeDefaults } from './run-config.js';

const r = route(process.argv.slice(2));
if (r.kind === 'help') {
  process[r.stream].write(r.text);
  process.exitCode = r.exitCode;
} else if (r.kind === 'run') {
  const { parseDaemonArgs, runDaemon } = await import('../connection/daemon.js');
  const fail = (err: unknown, hint = ''): never => {
    const why = (err instanceof Error ? err.message : String(err)).replace(/^run: /, '');
    process.stderr.write(`flotilla-agent run: ${why}\n${hint}`);
    process.exit(2);
  };
  const cfg = (() => {
    try {
      return withKubeDefaults(parseDaemonArgs(r.args, process.env), process.env);
    } catch (err) {
      return fail(err, '(flotilla-agent run --help lists the flags)\n');
    }
  })();
  await runDaemon(cfg, process.env).catch((err: unknown) => fail(err));
} else {
  process.exitCode = await run(r.args, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
  });
}
