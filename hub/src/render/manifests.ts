import { parseManifests as loadManifests } from '@flotilla/common';
import type { ManifestObject } from '../bundle/index.js';
import { renderError } from './yaml.js';

/**
 * The objects of one YAML or JSON file, read as `kubectl apply -f` reads it (@flotilla/common, the
 * same loader as `flotilla-agent apply`): every non-empty document, lists flattened, each tagged with
 * `file` and the line its document (or list item) starts on. Pure.
 */
export function parseManifests(text: string, file: string): ManifestObject[] {
  try {
    return loadManifests(text, file);
  } catch (err) {
    throw renderError(err);
  }
}
