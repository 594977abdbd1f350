import { ManifestInvalidError, ManifestSyntaxError, parseYamlDocuments, type YamlDocuments } from '@flotilla/common';
import { InvalidManifestError, YamlSyntaxError } from './errors.js';

// How YAML is read (kubectl's semantics) is defined once, in @flotilla/common, for the hub and the
// agent's CLI alike; the hub records its failures under the render codes.
export { positionOf, type Position } from '@flotilla/common';

/** @flotilla/common's loader errors as `RENDER_YAML_SYNTAX` and `RENDER_INVALID_MANIFEST`. */
export function renderError(err: unknown): unknown {
  if (err instanceof ManifestSyntaxError) return new YamlSyntaxError(err.message, { cause: err });
  if (err instanceof ManifestInvalidError) return new InvalidManifestError(err.message, { cause: err });
  return err;
}

/** Parses every document of `text`, throwing a `RENDER_YAML_SYNTAX` error for the first problem. */
export function parseDocuments(text: string, file: string): YamlDocuments {
  try {
    return parseYamlDocuments(text, file);
  } catch (err) {
    throw renderError(err);
  }
}
