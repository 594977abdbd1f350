export { canonicalize, normalizeObject, sha256Hex, type CanonicalBundle } from './canonical.js';
export {
  BUNDLE_ERROR_CODES,
  BundleDuplicateObjectError,
  BundleInvalidObjectError,
  type BundleErrorCode,
} from './errors.js';
export {
  compareKeys,
  compareStrings,
  formatKey,
  formatSource,
  groupOf,
  objectKey,
  type JsonObject,
  type KubeObject,
  type ManifestObject,
  type ObjectKey,
  type ObjectMetadata,
  type SourceLocation,
} from './object.js';
export { validateObject } from './validate.js';
