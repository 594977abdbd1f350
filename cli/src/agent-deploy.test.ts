import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { agentDeployFiles } from './agent-deploy.js';
import { agentManifestObjects } from './agent-manifest.js';

const dir = new URL('../../deploy/agent/', import.meta.url);
const generated = agentDeployFiles();

describe('deploy/agent, generated from the CLI', () => {
  it.each([...generated])('deploy/agent/%s is what the CLI renders', (name, text) => {
    expect(
      readFileSync(new URL(name, dir), 'utf8'),
      `deploy/agent/${name} differs from cli/src/agent-manifest.ts: run npm run gen:agent-deploy`,
    ).toBe(text);
  });

  it('leaves no YAML file in deploy/agent that it does not write', () => {
    expect(readdirSync(dir).filter((f) => f.endsWith('.yaml'))).toEqual([...generated.keys()].sort());
  });

  it("holds the objects of `fleet agent manifest` for a hub in the same cluster, the Secret's values to fill in", () => {
    const fromFiles = [...generated]
      .filter(([name]) => name !== 'kustomization.yaml')
      .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as { kind: string }));
    const rendered = agentManifestObjects({
      cluster: 'local',
      hubAddress: 'flotilla-hub.flotilla-system.svc:9443',
      token: 'REPLACE_WITH_REGISTRATION_TOKEN',
      caCertificate: '-----BEGIN CERTIFICATE-----',
    });
    const secret = rendered.find((o) => o.kind === 'Secret')!;
    secret.stringData = { token: 'REPLACE_WITH_REGISTRATION_TOKEN', 'ca.crt': 'REPLACE_WITH_HUB_CA_CERTIFICATE' };
    const byKind = (a: { kind: string }, b: { kind: string }) => a.kind.localeCompare(b.kind);
    expect(fromFiles.sort(byKind)).toEqual(JSON.parse(JSON.stringify(rendered)).sort(byKind));
  });
});
