// Original file: flotilla/v1/agent.proto


export interface BundleNamespace {
  'name'?: (string);
  /**
   * fleet.yaml namespaceLabels and namespaceAnnotations, set on the namespace.
   */
  'labels'?: ({[key: string]: string});
  'annotations'?: ({[key: string]: string});
  /**
   * fleet.yaml deleteNamespace (and not keepResources): the namespace goes with the deployment, if
   * the agent created it. Otherwise it stays when the deployment is removed.
   */
  'deleteWithDeployment'?: (boolean);
  /**
   * fleet.yaml `namespace` (not `defaultNamespace`): every namespaced object goes there, whatever
   * namespace it names, and a cluster-scoped object is refused, as in Fleet.
   */
  'enforce'?: (boolean);
}

export interface BundleNamespace__Output {
  'name': (string);
  /**
   * fleet.yaml namespaceLabels and namespaceAnnotations, set on the namespace.
   */
  'labels': ({[key: string]: string});
  'annotations': ({[key: string]: string});
  /**
   * fleet.yaml deleteNamespace (and not keepResources): the namespace goes with the deployment, if
   * the agent created it. Otherwise it stays when the deployment is removed.
   */
  'deleteWithDeployment': (boolean);
  /**
   * fleet.yaml `namespace` (not `defaultNamespace`): every namespaced object goes there, whatever
   * namespace it names, and a cluster-scoped object is refused, as in Fleet.
   */
  'enforce': (boolean);
}
