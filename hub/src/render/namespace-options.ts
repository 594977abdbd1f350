import type { FleetYaml, TargetCustomization } from './fleet-types.js';

/** What fleet.yaml says of the namespace the agent creates for a bundle (see the agent's deployer/namespace.ts). */
export interface NamespaceOptions {
  /** Set on the namespace; a customization's are merged over the top level's, as Fleet merges them. */
  namespaceLabels?: Record<string, string>;
  namespaceAnnotations?: Record<string, string>;
  /** Delete the namespace with the bundle (if the agent created it): Fleet's deleteNamespace. */
  deleteNamespace?: boolean;
  /** Fleet's keepResources: nothing the bundle made is deleted with it, its namespace included. */
  keepResources?: boolean;
}

function merged(a?: Record<string, string>, b?: Record<string, string>): Record<string, string> | undefined {
  return a || b ? { ...a, ...b } : undefined;
}

/** A customization's choice wins over the top level's (as for `namespace` itself). */
export function namespaceOptions(fleet: FleetYaml, c: TargetCustomization | undefined): NamespaceOptions {
  const labels = merged(fleet.namespaceLabels, c?.namespaceLabels);
  const annotations = merged(fleet.namespaceAnnotations, c?.namespaceAnnotations);
  const deleteNamespace = c?.deleteNamespace ?? fleet.deleteNamespace;
  const keepResources = c?.keepResources ?? fleet.keepResources;
  return {
    ...(labels && Object.keys(labels).length > 0 ? { namespaceLabels: labels } : {}),
    ...(annotations && Object.keys(annotations).length > 0 ? { namespaceAnnotations: annotations } : {}),
    ...(deleteNamespace ? { deleteNamespace } : {}),
    ...(keepResources ? { keepResources } : {}),
  };
}
