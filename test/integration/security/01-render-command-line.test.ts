import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderWorld, type RenderWorld } from './render-support.js';

/**
 * Finding 1: `helm.releaseName` from fleet.yaml went unchecked into `helm template`'s arguments. With
 * `--post-renderer=/bin/sh`, helm piped the rendered chart into a shell: a template line that is both
 * YAML and shell ran on the hub. With `--output-dir=...`, helm wrote files anywhere. The target even
 * showed Rendered.
 */
const marker = join(tmpdir(), `flotilla-pwned-${process.pid}`);
const outDir = mkdtempSync(join(tmpdir(), 'flotilla-outdir-'));

const chart = (releaseName: string, namespace = 'web') => ({
  'Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  // Valid YAML after rendering, and a shell command line for a post-renderer.
  'templates/cm.yaml': `touch ${marker}; echo x: y\n`,
  'fleet.yaml': `helm:\n  releaseName: "${releaseName}"\nnamespace: ${namespace}\n`,
});

describe('finding 1: a commit cannot put arguments on a render tool command line', () => {
  let w: RenderWorld;

  beforeAll(async () => {
    w = await renderWorld({ shell: 'apps/shell', outdir: 'apps/outdir', ns: 'apps/ns', good: 'apps/good' });
    const files: Record<string, string> = {
      'apps/good/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\n',
    };
    for (const [k, v] of Object.entries(chart('--post-renderer=/bin/sh'))) files[`apps/shell/${k}`] = v;
    for (const [k, v] of Object.entries(chart(`--output-dir=${outDir}`))) files[`apps/outdir/${k}`] = v;
    for (const [k, v] of Object.entries(chart('web', '"--post-renderer=/bin/sh"'))) files[`apps/ns/${k}`] = v;
    await w.commitAndRender(files);
  }, 120_000);

  afterAll(async () => {
    await w?.stop();
    rmSync(marker, { force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  it('refuses a release name that is a flag, naming the file and line; nothing runs', () => {
    expect(w.failure('shell')).toMatch(
      /apps\/shell\/fleet\.yaml:2:16: helm\.releaseName "--post-renderer=\/bin\/sh" must be a DNS-1123 name/,
    );
    expect(existsSync(marker)).toBe(false);
    expect(w.bundles('shell')).toEqual([]);
  });

  it('refuses --output-dir: no file is written', () => {
    expect(w.failure('outdir')).toMatch(/helm\.releaseName "--output-dir=.*" must be a DNS-1123 name/);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('refuses a namespace that is a flag', () => {
    expect(w.failure('ns')).toMatch(/apps\/ns\/fleet\.yaml:3:12: namespace "--post-renderer=\/bin\/sh" must be/);
    expect(existsSync(marker)).toBe(false);
  });

  it('the good target of the same commit renders', () => {
    expect(w.failure('good')).toBeUndefined();
    expect(w.bundles('good')).toHaveLength(1);
  });
});
