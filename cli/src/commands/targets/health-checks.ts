import { readFileSync } from 'node:fs';
import { Args, Flags } from '@oclif/core';
import { parse } from 'yaml';
import { FleetCommand } from '../../base.js';
import { UsageError } from '../../errors.js';
import { targetDetail } from '../../views.js';

/** The rules in a YAML or JSON file: a list, or `{ healthChecks: [...] }` as Flux's Kustomization spec has them. */
function readRules(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    throw new UsageError(`--file ${file}: not YAML or JSON (${error instanceof Error ? error.message : error})`);
  }
  const rules = Array.isArray(doc) ? doc : (doc as { healthChecks?: unknown } | null)?.healthChecks;
  if (!Array.isArray(rules)) {
    throw new UsageError(`--file ${file}: expected a list of rules (apiVersion, kind, current, inProgress, failed)`);
  }
  return rules;
}

export default class TargetsHealthChecks extends FleetCommand<typeof TargetsHealthChecks> {
  static override summary = "Set a target's custom health rules: CEL expressions per kind.";
  static override description = `For kinds whose controllers report health in their own way, each rule gives CEL expressions over the object (apiVersion and kind say which objects: the group decides, any version): inProgress, failed and current, tried in that order, the first true deciding; none true: InProgress. As Flux's healthCheckExprs; docs/health.md has the details. The file is YAML or JSON: a list of rules, or an object with a healthChecks list. The hub checks every expression and refuses a rule that does not parse, naming its field. The list replaces the previous one; --clear removes them. Needs the admin role.`;
  static override examples = [
    '<%= config.bin %> targets health-checks certs --file health-checks.yaml',
    '<%= config.bin %> targets health-checks certs --clear',
  ];
  static override args = { name: Args.string({ required: true, description: 'Target name.' }) };
  static override flags = {
    file: Flags.string({
      char: 'f',
      summary: 'A YAML or JSON file holding the rules.',
      exactlyOne: ['file', 'clear'],
    }),
    clear: Flags.boolean({ summary: 'Remove every rule.', exactlyOne: ['file', 'clear'] }),
  };

  async run() {
    const rules = this.flags.file ? readRules(this.flags.file) : [];
    const target = await this.client().setHealthChecks(this.args.name, rules);
    this.print(target, targetDetail);
    return target;
  }
}
