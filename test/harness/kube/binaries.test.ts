import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KUBE_BINARIES, locateBinaries, MissingBinariesError } from './binaries.js';

const BINARIES = KUBE_BINARIES.filter((b) => b !== 'kwok-stages');

describe('locating the Kubernetes test binaries (envtest conventions)', () => {
  const saved = { ...process.env };
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'flotilla-assets-'));
    dirs.push(d);
    return d;
  };
  const exe = (dir: string, name: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), '#!/bin/sh\n');
    chmodSync(join(dir, name), 0o755);
    return join(dir, name);
  };

  afterEach(() => {
    process.env = { ...saved };
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('takes KUBEBUILDER_ASSETS/<name>, and TEST_ASSET_<NAME> over it', () => {
    const assets = tmp();
    for (const b of BINARIES) exe(assets, b);
    writeFileSync(join(assets, 'kwok-stages.yaml'), 'kind: Stage\n');
    const etcd = exe(join(tmp(), 'elsewhere'), 'etcd');
    process.env.KUBEBUILDER_ASSETS = assets;
    process.env.TEST_ASSET_ETCD = etcd;
    process.env.FLOTILLA_BIN_CACHE = tmp();

    const found = locateBinaries();
    expect(found.etcd).toBe(etcd);
    expect(found['kube-apiserver']).toBe(join(assets, 'kube-apiserver'));
    expect(found['kwok-stages']).toBe(join(assets, 'kwok-stages.yaml'));
  });

  it('names what is missing and how to get it', () => {
    process.env.FLOTILLA_BIN_CACHE = tmp();
    delete process.env.KUBEBUILDER_ASSETS;
    for (const b of BINARIES) delete process.env[`TEST_ASSET_${b.toUpperCase().replace(/-/g, '_')}`];
    expect(() => locateBinaries()).toThrow(MissingBinariesError);
    expect(() => locateBinaries()).toThrow(/kube-apiserver.*npm run kube:binaries/s);
  });
});
