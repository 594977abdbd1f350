#!/usr/bin/env node
import { run } from './run.js';

const argv = process.argv.slice(2);
if (argv[0] === 'run') {
  const { parseDaemonArgs, runDaemon } = await import('../connection/daemon.js');
  try {
    await runDaemon(parseDaemonArgs(argv.slice(1), process.env), process.env);
  } catch (err) {
    process.stderr.write(`flotilla-agent run: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
process.exitCode = await run(argv, {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
});
