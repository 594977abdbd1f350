#!/usr/bin/env node
// Writes deploy/agent/*.yaml from the CLI's agent manifests: node cli/dist/gen-agent-deploy.js [dir]
// (default deploy/agent at the repo root). `npm run gen:agent-deploy` builds the CLI and runs it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentDeployFiles } from './agent-deploy.js';

const dir = process.argv[2] ?? fileURLToPath(new URL('../../deploy/agent', import.meta.url));
for (const [name, text] of agentDeployFiles()) writeFileSync(join(dir, name), text);
