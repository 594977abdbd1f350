import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The checkout's `.flotilla/bin`, where `npm run setup` links the helm and kustomize it builds
 * (scripts/setup.sh). The same depth from hub/src/tools and hub/dist/tools.
 */
export const SETUP_TOOLS_DIR = fileURLToPath(new URL('../../../.flotilla/bin', import.meta.url));

export type ToolLookup = { found: string } | { looked: string[] };

function executableFile(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * A tool given by path is that file; one given by name is looked up on PATH, then in the setup
 * directory, so a hub started from a set-up checkout finds them with no flags while PATH still wins.
 */
export function locateTool(binary: string, path = process.env.PATH ?? '', dirs = [SETUP_TOOLS_DIR]): ToolLookup {
  if (binary.includes('/') || isAbsolute(binary)) {
    return executableFile(binary) ? { found: resolve(binary) } : { looked: [resolve(binary)] };
  }
  const looked = [...path.split(delimiter).filter((d) => d !== ''), ...dirs];
  for (const dir of looked) if (executableFile(join(dir, binary))) return { found: resolve(dir, binary) };
  return { looked };
}

/** The absolute path of a tool given by path or by name; undefined when there is none. */
export function resolveBinary(binary: string, path = process.env.PATH ?? ''): string | undefined {
  const r = locateTool(binary, path);
  return 'found' in r ? r.found : undefined;
}

/** Why a tool was not found, naming every place looked and the ways to give it. */
export function toolMissing(binary: string, looked: readonly string[]): string {
  const fix = 'set --helm / --kustomize (FLOTILLA_HELM / FLOTILLA_KUSTOMIZE) to its path';
  if (binary.includes('/')) return `${binary} is not installed (no executable file there); ${fix}`;
  return (
    `${binary} is not installed: looked in ${looked.join(', ')} (PATH, then ${SETUP_TOOLS_DIR}, ` +
    `where \`npm run setup\` links the ones it builds); run \`npm run setup\`, or ${fix}`
  );
}
