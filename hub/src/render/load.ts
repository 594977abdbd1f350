import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, posix, relative, sep, win32 } from 'node:path';
import { compareStrings, type ManifestObject } from '../bundle/index.js';
import {
  FileTooLargeError,
  PathInvalidError,
  PathNotFoundError,
  SymlinkEscapeError,
  SymlinkLoopError,
  UnsupportedLayoutError,
} from './errors.js';
import { parseManifests } from './manifests.js';

export interface LoadOptions {
  /** Largest manifest file read, in bytes; a larger one is an error. */
  readonly maxFileBytes: number;
  /** Leave out the `overlays/` directory at the top of the target: Fleet keeps `yaml.overlays` there. */
  readonly skipOverlaysDir: boolean;
}

export function defaultLoadOptions(): LoadOptions {
  return { maxFileBytes: 10 * 1024 * 1024, skipOverlaysDir: true };
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];
const SKIPPED_FILES = ['fleet.yaml'];
// Directories holding these need the Kustomize or Helm renderer, not plain YAML loading.
const OTHER_RENDERERS = ['kustomization.yaml', 'kustomization.yml', 'Kustomization', 'Chart.yaml'];

interface Walk {
  readonly root: string;
  readonly options: LoadOptions;
  readonly files: { display: string; real: string }[];
}

/** The segments of a repository-relative path; refuses absolute paths and `..`. */
export function checkRelativePath(relPath: string): string[] {
  if (relPath.includes('\0') || isAbsolute(relPath) || win32.isAbsolute(relPath)) {
    throw new PathInvalidError(`target path "${relPath}" must be relative to the repository root`);
  }
  const segments = relPath.split(/[\\/]/).filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) {
    throw new PathInvalidError(`target path "${relPath}" must not contain ".." segments`);
  }
  return segments;
}

/**
 * Why a path written in a repository's settings (fleet.yaml, a target's options) cannot name a file of
 * the repository, or undefined: absolute, a drive letter, NUL or a `..` segment.
 */
export function repoPathProblem(value: string): string | undefined {
  const segments = value.split(/[\\/]/);
  if (value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value) || value.includes('\0') || segments.includes('..')) {
    return 'must be a path inside the repository (relative, no "..")';
  }
  return undefined;
}

/** Joins repository-relative parts with `/`, leaving out empty and `.` parts. */
export function posixJoin(...parts: string[]): string {
  return parts.filter((p) => p && p !== '.').join('/');
}

function isInside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** The real path of `path`, which must stay inside the root; undefined for a dangling symlink. */
export async function realInside(root: string, path: string, display: string): Promise<string | undefined> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  if (!isInside(root, real)) {
    throw new SymlinkEscapeError(`${display} is a symlink that resolves outside the repository; refusing to read it`);
  }
  return real;
}

function isManifestFile(name: string): boolean {
  return MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext)) && !SKIPPED_FILES.includes(name);
}

async function kindOf(walk: Walk, entry: Dirent, real: string, display: string) {
  if (!entry.isSymbolicLink()) return { real, dir: entry.isDirectory(), file: entry.isFile() };
  const target = await realInside(walk.root, real, display);
  if (target === undefined) {
    if (isManifestFile(entry.name))
      throw new PathNotFoundError(`${display} is a symlink to a file that does not exist`);
    return { real, dir: false, file: false };
  }
  const stats = await stat(target);
  return { real: target, dir: stats.isDirectory(), file: stats.isFile() };
}

async function walkDirectory(walk: Walk, real: string, display: string, ancestors: readonly string[]): Promise<void> {
  const entries = (await readdir(real, { withFileTypes: true })).sort((a, b) => compareStrings(a.name, b.name));
  const atTop = ancestors.length === 1;
  if (atTop) refuseOtherRenderers(entries, display);
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const childDisplay = display === '' ? entry.name : `${display}/${entry.name}`;
    const child = await kindOf(walk, entry, join(real, entry.name), childDisplay);
    if (child.dir) {
      if (atTop && entry.name === 'overlays' && walk.options.skipOverlaysDir) continue;
      if (ancestors.includes(child.real)) {
        throw new SymlinkLoopError(`${childDisplay} is a symlink to its own ancestor`);
      }
      await walkDirectory(walk, child.real, childDisplay, [...ancestors, child.real]);
    } else if (child.file && isManifestFile(entry.name)) {
      walk.files.push({ display: childDisplay, real: child.real });
    }
  }
}

function refuseOtherRenderers(entries: readonly Dirent[], display: string): void {
  const found = entries.find((entry) => OTHER_RENDERERS.includes(entry.name));
  if (found !== undefined) {
    throw new UnsupportedLayoutError(
      `${posix.join(display, found.name)}: this directory needs the Kustomize or Helm renderer, not plain YAML`,
    );
  }
}

/** One manifest file's text; `file` is relative to the repository root, with `/` separators. */
export interface SourceFile {
  readonly file: string;
  readonly text: string;
}

async function readManifestFile(walk: Walk, file: { display: string; real: string }): Promise<SourceFile> {
  const { size } = await stat(file.real);
  if (size > walk.options.maxFileBytes) {
    throw new FileTooLargeError(
      `${file.display} is ${size} bytes, over the limit of ${walk.options.maxFileBytes} bytes for one manifest file`,
    );
  }
  return { file: file.display, text: await readFile(file.real, 'utf8') };
}

async function startDirectory(root: string, segments: readonly string[], relPath: string): Promise<string> {
  const real = await realInside(root, join(root, ...segments), relPath);
  if (real === undefined || !(await stat(real)).isDirectory()) {
    throw new PathNotFoundError(`target path "${relPath}" is not a directory in the repository`);
  }
  return real;
}

/**
 * The YAML and JSON files under `root/relPath` with their text, empty ones too, in a deterministic
 * order (directory entries sorted by name, depth first). Skips hidden entries, `fleet.yaml` and the
 * top `overlays/` directory (unless told otherwise); refuses `..`, absolute paths, symlinks out of
 * `root` and files over the size limit.
 */
export async function readManifestFiles(
  root: string,
  relPath: string,
  options: Partial<LoadOptions> = {},
): Promise<SourceFile[]> {
  const segments = checkRelativePath(relPath);
  const realRoot = await realpath(root).catch((error: unknown) => {
    throw isMissing(error) ? new PathNotFoundError(`repository root "${root}" does not exist`) : error;
  });
  const start = await startDirectory(realRoot, segments, relPath);
  const walk: Walk = { root: realRoot, options: { ...defaultLoadOptions(), ...options }, files: [] };
  await walkDirectory(walk, start, segments.join('/'), [start]);
  const files: SourceFile[] = [];
  for (const file of walk.files) files.push(await readManifestFile(walk, file));
  return files;
}

/**
 * Every object in the files `readManifestFiles` finds, in its order. Each object's source file is
 * relative to `root`, with `/` separators.
 */
export async function loadManifests(
  root: string,
  relPath: string,
  options: Partial<LoadOptions> = {},
): Promise<ManifestObject[]> {
  return (await readManifestFiles(root, relPath, options)).flatMap((f) => parseManifests(f.text, f.file));
}
