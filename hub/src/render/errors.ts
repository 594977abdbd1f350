import { FlotillaError } from '@flotilla/proto';

export const RENDER_ERROR_CODES = {
  pathInvalid: 'RENDER_PATH_INVALID',
  pathNotFound: 'RENDER_PATH_NOT_FOUND',
  symlinkEscape: 'RENDER_SYMLINK_ESCAPE',
  symlinkLoop: 'RENDER_SYMLINK_LOOP',
  fileTooLarge: 'RENDER_FILE_TOO_LARGE',
  unsupportedLayout: 'RENDER_UNSUPPORTED_LAYOUT',
  yamlSyntax: 'RENDER_YAML_SYNTAX',
  invalidManifest: 'RENDER_INVALID_MANIFEST',
  template: 'RENDER_TEMPLATE',
  overlay: 'RENDER_OVERLAY',
  fleetYamlInvalid: 'FLEET_YAML_INVALID',
  fleetYamlUnsupported: 'FLEET_YAML_UNSUPPORTED',
  remoteRefused: 'RENDER_REMOTE_REFUSED',
} as const;

export type RenderErrorCode = (typeof RENDER_ERROR_CODES)[keyof typeof RENDER_ERROR_CODES];

/** A target path that is absolute or climbs out with `..`. */
export class PathInvalidError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.pathInvalid;
}

/** The target path does not exist in the checkout, or is not a directory. */
export class PathNotFoundError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.pathNotFound;
}

/** A symlink in the checkout that resolves outside the repository root. */
export class SymlinkEscapeError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.symlinkEscape;
}

/** A directory symlink that leads back into one of its own ancestors. */
export class SymlinkLoopError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.symlinkLoop;
}

export class FileTooLargeError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.fileTooLarge;
}

/** A directory that holds a kustomization or a Helm chart: plain-YAML loading is the wrong renderer. */
export class UnsupportedLayoutError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.unsupportedLayout;
}

/** The YAML parser refused a file; the message starts with `file:line:column`. */
export class YamlSyntaxError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.yamlSyntax;
}

/** Valid YAML that is not a manifest: a document that is not a map, a `kind: List` without items. */
export class InvalidManifestError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.invalidManifest;
}

/** A `${ ... }` expression in Helm values that cannot be evaluated for a cluster. */
export class TemplateError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.template;
}

/** A `yaml.overlays` file that cannot be applied (a patch whose base file is missing, ...). */
export class OverlayError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.overlay;
}

/** A `fleet.yaml` that does not follow the format: unknown field, wrong type. Names field path and line. */
export class FleetYamlInvalidError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.fleetYamlInvalid;
}

/** A documented `fleet.yaml` field that Flotilla refuses rather than silently ignores. */
export class FleetYamlUnsupportedError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.fleetYamlUnsupported;
}

/** A render that would fetch from the network where the repository is not allowed to. */
export class RemoteRefusedError extends FlotillaError {
  readonly code = RENDER_ERROR_CODES.remoteRefused;
}
