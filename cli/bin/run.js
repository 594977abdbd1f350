#!/usr/bin/env node
// The `fleet` command: oclif loads the commands from ../dist/commands (build first: npx tsc -b).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
