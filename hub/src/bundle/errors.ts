import { FlotillaError } from '@flotilla/proto';

export const BUNDLE_ERROR_CODES = {
  invalidObject: 'BUNDLE_INVALID_OBJECT',
  duplicateObject: 'BUNDLE_DUPLICATE_OBJECT',
} as const;

export type BundleErrorCode = (typeof BUNDLE_ERROR_CODES)[keyof typeof BUNDLE_ERROR_CODES];

/** An object that cannot go into a bundle: missing or malformed apiVersion, kind, metadata, or a
 * value JSON cannot represent. The message starts with `file:line`. */
export class BundleInvalidObjectError extends FlotillaError {
  readonly code = BUNDLE_ERROR_CODES.invalidObject;
}

/** Two objects with the same group, kind, namespace and name; the message names both sources. */
export class BundleDuplicateObjectError extends FlotillaError {
  readonly code = BUNDLE_ERROR_CODES.duplicateObject;
}
