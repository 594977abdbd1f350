import { formatSource, type JsonObject, type ManifestObject } from '../bundle/index.js';
import { OverlayError } from './errors.js';

/** One entry of `yaml.overlays`: the objects loaded from `overlays/<name>`. */
export interface YamlOverlay {
  /** The overlay directory, in the coordinates of source files (e.g. `apps/web/overlays/eu`). */
  readonly dir: string;
  readonly objects: readonly ManifestObject[];
}

/*
 * Fleet's raw-YAML overlays work on files, relative to the bundle directory:
 * - `overlays/<name>/sub/x.yaml` replaces the base file `sub/x.yaml` (all its objects), or adds it;
 * - `overlays/<name>/sub/x_patch.yaml` patches `sub/x.yaml` ("_patch." in the file name becomes ".").
 * Overlays apply in the order listed, so a later one can patch a file a former one added.
 * Patches are JSON merge patches (RFC 7396): maps merge, null deletes, anything else (lists too)
 * replaces. Fleet also accepts JSON Patch and strategic merge patch files; Flotilla does not yet.
 * A patch document goes to the only object of its base file, or, if the file holds several, to the
 * one with the patch's kind and metadata.name.
 */

type Files = Map<string, readonly ManifestObject[]>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7396. Returns a new value; leaves both inputs alone. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function relativeTo(dir: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (dir === '' || dir === '.') return file;
  return file.startsWith(`${dir}/`) ? file.slice(dir.length + 1) : undefined;
}

/** `sub/x_patch.yaml` → `sub/x.yaml`; undefined for a file that is not a patch. */
export function patchTarget(path: string): string | undefined {
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  const at = base.lastIndexOf('_patch.');
  if (at < 0) return undefined;
  return `${path.slice(0, slash + 1)}${base.slice(0, at)}.${base.slice(at + '_patch.'.length)}`;
}

function groupByFile(objects: readonly ManifestObject[], dir: string): { files: Files; rest: ManifestObject[] } {
  const files: Files = new Map();
  const rest: ManifestObject[] = [];
  for (const object of objects) {
    const rel = relativeTo(dir, object.source?.file);
    if (rel === undefined) rest.push(object);
    else files.set(rel, [...(files.get(rel) ?? []), object]);
  }
  return { files, rest };
}

function metadataName(object: JsonObject): unknown {
  return isObject(object.metadata) ? object.metadata.name : undefined;
}

function targetOf(base: readonly ManifestObject[], patch: ManifestObject, baseFile: string): number {
  if (base.length === 1) return 0;
  const { kind } = patch.object;
  const name = metadataName(patch.object);
  const index = base.findIndex((o) => o.object.kind === kind && metadataName(o.object) === name);
  if (kind === undefined || name === undefined || index < 0) {
    throw new OverlayError(
      `${formatSource(patch.source)}: ${baseFile} holds ${base.length} objects; ` +
        'give the patch the kind and metadata.name of the one it patches',
    );
  }
  return index;
}

function applyPatchFile(base: readonly ManifestObject[], patches: readonly ManifestObject[], baseFile: string) {
  const out = [...base];
  for (const patch of patches) {
    const i = targetOf(out, patch, baseFile);
    const target = out[i] as ManifestObject;
    out[i] = { ...target, object: mergePatch(target.object, patch.object) as JsonObject };
  }
  return out;
}

function applyOverlay(files: Files, overlay: YamlOverlay): void {
  const { files: overlayFiles, rest } = groupByFile(overlay.objects, overlay.dir);
  if (rest[0] !== undefined) {
    throw new OverlayError(`${formatSource(rest[0].source)}: not inside the overlay directory ${overlay.dir}`);
  }
  for (const [path, objects] of overlayFiles) {
    const target = patchTarget(path);
    if (target === undefined) {
      files.set(path, objects);
      continue;
    }
    const base = files.get(target);
    if (base === undefined) {
      throw new OverlayError(`${overlay.dir}/${path} patches ${target}, which is not in the bundle`);
    }
    files.set(target, applyPatchFile(base, objects, target));
  }
}

/**
 * The objects of a raw-YAML bundle after its `yaml.overlays`, applied in order. `baseDir` is the
 * bundle directory in the coordinates of source files; objects without a source in it are kept as
 * they are. Pure: returns new objects, leaves the inputs alone. Patched objects keep the source of
 * their base object.
 */
export function applyYamlOverlays(
  objects: readonly ManifestObject[],
  overlays: readonly YamlOverlay[],
  baseDir: string,
): ManifestObject[] {
  const { files, rest } = groupByFile(objects, baseDir);
  for (const overlay of overlays) applyOverlay(files, overlay);
  return [...rest, ...[...files.values()].flat()];
}
