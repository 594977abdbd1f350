import { isPlainObject } from '@flotilla/common';
import jsonPatch from 'fast-json-patch';
import { isMap, isSeq, type Node } from 'yaml';
import type { JsonObject, ManifestObject } from '../bundle/index.js';
import { OverlayError } from './errors.js';
import type { SourceFile } from './load.js';
import { parseManifests } from './manifests.js';
import { parseDocuments, positionOf } from './yaml.js';

/** One entry of `yaml.overlays`: the files of `overlays/<name>`, empty ones included. */
export interface YamlOverlay {
  /** The overlay directory, in the coordinates of source files (e.g. `apps/web/overlays/eu`). */
  readonly dir: string;
  readonly files: readonly SourceFile[];
}

/*
 * Fleet's raw-YAML overlays work on files, relative to the bundle directory (rancher/fleet
 * internal/helmdeployer/render/patch):
 * - `overlays/<name>/sub/x.yaml` replaces the base file `sub/x.yaml` whole, or adds it; an empty file
 *   (or one of comments only) replaces it by nothing, which is how an overlay drops objects;
 * - `overlays/<name>/sub/x_patch.yaml` patches `sub/x.yaml`: the first `_patch.` of the file name
 *   becomes `.`; the base file must exist; a file an earlier overlay emptied stays empty.
 * Overlays apply in the order listed, so a later one can patch a file an earlier one added. Within
 * one overlay, whole files go first, then patches, in path order (Fleet's order there is a Go map's).
 * A patch document that is a list is a JSON Patch (RFC 6902); a map is a JSON merge patch (RFC 7396).
 * Fleet merges a map into a built-in kind by strategic merge patch instead, which differs from a merge
 * patch only for lists and `$patch` directives: such a patch is refused here, naming the field.
 * A patch document goes to the only object of its base file, or, if the file holds several, to the
 * one with the patch's kind and metadata.name (Fleet keeps only the first document of a patched file).
 */

type Files = Map<string, readonly ManifestObject[]>;

interface PatchDocument {
  readonly value: unknown;
  readonly at: string;
}

/** RFC 7396. Returns a new value; leaves both inputs alone. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: JsonObject = isPlainObject(target) ? { ...target } : {};
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

/** `sub/x_patch.yaml` → `sub/x.yaml` (the first `_patch.` of the name); undefined for a file that is not a patch. */
export function patchTarget(path: string): string | undefined {
  const slash = path.lastIndexOf('/');
  const base = path.slice(slash + 1);
  const at = base.indexOf('_patch.');
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
  return isPlainObject(object.metadata) ? object.metadata.name : undefined;
}

/** The documents of a patch file: maps (merge patches) and lists (JSON Patches), with their lines. */
function patchDocuments(file: SourceFile): PatchDocument[] {
  const { documents, lineCounter } = parseDocuments(file.text, file.file);
  return documents.flatMap((document) => {
    const node = document.contents as Node | null;
    const at = `${file.file}:${positionOf(lineCounter, node?.range?.[0]).line}`;
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return [];
    if (!isMap(node) && !isSeq(node)) {
      throw new OverlayError(`${at}: a patch must be a map (a merge patch) or a list (a JSON Patch)`);
    }
    return [{ value, at }];
  });
}

function targetOf(base: readonly ManifestObject[], patch: PatchDocument, baseFile: string): number {
  if (base.length === 1) return 0;
  const { kind, name } = isPlainObject(patch.value)
    ? { kind: patch.value.kind, name: metadataName(patch.value) }
    : { kind: undefined, name: undefined };
  const index = base.findIndex((o) => o.object.kind === kind && metadataName(o.object) === name);
  if (kind === undefined || name === undefined || index < 0) {
    throw new OverlayError(
      `${patch.at}: ${baseFile} holds ${base.length} objects; ` +
        (Array.isArray(patch.value)
          ? 'a JSON Patch applies to a file of one object: patch it with a merge patch naming kind and metadata.name'
          : 'give the patch the kind and metadata.name of the one it patches'),
    );
  }
  return index;
}

// The API groups of client-go's scheme: Fleet patches their kinds by strategic merge patch.
const BUILT_IN_GROUPS = new Set([
  '',
  'admissionregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'extensions',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'storagemigration.k8s.io',
]);

function isBuiltIn(object: JsonObject): boolean {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const slash = apiVersion.indexOf('/');
  return apiVersion !== '' && BUILT_IN_GROUPS.has(slash < 0 ? '' : apiVersion.slice(0, slash));
}

/** The first field where a strategic merge patch would not do what a merge patch does. */
function strategicOnly(patch: unknown, path: string): string | undefined {
  if (Array.isArray(patch)) {
    return patch.some(isPlainObject) || path === 'metadata.finalizers' ? path : undefined;
  }
  if (!isPlainObject(patch)) return undefined;
  for (const [key, value] of Object.entries(patch)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (key.startsWith('$')) return at;
    const found = strategicOnly(value, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

function applyJsonPatch(target: JsonObject, patch: PatchDocument, baseFile: string): JsonObject {
  try {
    const ops = patch.value as jsonPatch.Operation[];
    return jsonPatch.applyPatch(target, ops, true, false).newDocument;
  } catch (error) {
    const { name, message } = error as Error;
    throw new OverlayError(
      `${patch.at}: the JSON Patch does not apply to ${baseFile}: ${name}: ${message.split('\n')[0]}`,
      {
        cause: error,
      },
    );
  }
}

function applyPatch(target: JsonObject, patch: PatchDocument, baseFile: string): JsonObject {
  if (Array.isArray(patch.value)) return applyJsonPatch(target, patch, baseFile);
  const field = isBuiltIn(target) ? strategicOnly(patch.value, '') : undefined;
  if (field !== undefined) {
    throw new OverlayError(
      `${patch.at}: ${field}: Fleet patches a ${String(target.kind)} by strategic merge patch, which merges lists ` +
        'and honours $patch directives; Flotilla does not. Write the whole file in the overlay, ' +
        'or use a JSON Patch (a YAML list of operations)',
    );
  }
  return mergePatch(target, patch.value) as JsonObject;
}

function applyPatchFile(base: readonly ManifestObject[], file: SourceFile, baseFile: string): ManifestObject[] {
  const out = [...base];
  // An emptied file stays empty: Fleet patches an empty document into an object with no kind, then drops it.
  if (out.length === 0) return out;
  for (const patch of patchDocuments(file)) {
    const i = targetOf(out, patch, baseFile);
    const target = out[i] as ManifestObject;
    out[i] = { ...target, object: applyPatch(target.object, patch, baseFile) };
  }
  return out;
}

function applyOverlay(files: Files, overlay: YamlOverlay): void {
  const patches: [string, SourceFile][] = [];
  for (const file of overlay.files) {
    const path = relativeTo(overlay.dir, file.file);
    if (path === undefined) throw new OverlayError(`${file.file}: not inside the overlay directory ${overlay.dir}`);
    const target = patchTarget(path);
    if (target === undefined) files.set(path, parseManifests(file.text, file.file));
    else patches.push([target, file]);
  }
  for (const [target, file] of patches) {
    const base = files.get(target);
    if (base === undefined) throw new OverlayError(`${file.file} patches ${target}, which is not in the bundle`);
    files.set(target, applyPatchFile(base, file, target));
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
