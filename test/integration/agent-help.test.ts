import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { AGENT_MAIN, NODE_TS } from '../harness/hub.js';
import { REPO_ROOT } from '../harness/kube/binaries.js';

/** The real flotilla-agent entry point, as a user runs it. */
function agent(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...NODE_TS, AGENT_MAIN, ...args], { cwd: REPO_ROOT }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * Issue #19, item 8: `flotilla-agent --help` did not list `run`, and `run --help` answered
 * "Unknown option '--help'".
 */
describe('flotilla-agent --help', () => {
  it('lists every command, run among them', async () => {
    const r = await agent(['--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    for (const command of ['run', 'apply', 'diff', 'help']) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
  });

  it('run --help gives the flags of the long-running agent and how to run it as a process', async () => {
    for (const args of [
      ['run', '--help'],
      ['help', 'run'],
    ]) {
      const r = await agent(args);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      for (const flag of ['--hub ', '--cluster ', '--token ', '--hub-ca-hash ', '--kubeconfig ', '--state-dir ']) {
        expect(r.stdout).toContain(flag);
      }
      expect(r.stdout).toContain('Running the agent as a process');
    }
  });

  it('apply --help and diff --help give the one-shot flags', async () => {
    for (const command of ['apply', 'diff']) {
      const r = await agent([command, '--help']);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(/usage: flotilla-agent <apply\|diff>.*--wait/s);
    }
  });

  it('a wrong flag or command is named, with where the flags are listed; exit code 2', async () => {
    const flag = await agent(['run', '--hubb', 'x:1']);
    expect(flag).toMatchObject({ code: 2, stdout: '' });
    expect(flag.stderr).toMatch(
      /^flotilla-agent run: Unknown option '--hubb'.*\n\(flotilla-agent run --help lists the flags\)/s,
    );
    const command = await agent(['start']);
    expect(command).toMatchObject({ code: 2, stdout: '' });
    expect(command.stderr).toMatch(/^unknown command "start"\n\nusage: flotilla-agent <command>/);
  });
});
