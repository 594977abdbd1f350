// The benchmark's bundle, apart from the scripts that run it (importing it starts nothing).

/** 1,000 objects: per namespace 80 ConfigMaps, 40 Secrets, 20 Services, 20 ServiceAccounts, 15 Deployments, 12 Roles, 12 RoleBindings. */
export function mixedBundle(
  deployment: string,
  namespaces: number,
): { deployment: string; objects: object[]; options: object } {
  const objects: object[] = [];
  for (let n = 0; n < namespaces; n++) {
    const ns = `bench-${n}`;
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const meta = (name: string) => ({ name, namespace: ns, labels: { app: name } });
    for (let i = 0; i < 80; i++)
      objects.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(`cm-${i}`),
        data: { 'app.properties': `index=${i}\nfeature.x=true\n`, color: 'blue' },
      });
    for (let i = 0; i < 40; i++)
      objects.push({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: meta(`secret-${i}`),
        type: 'Opaque',
        stringData: { password: `p${i}` },
      });
    for (let i = 0; i < 20; i++)
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta(`svc-${i}`),
        spec: { selector: { app: `app-${i % 15}` }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
      });
    for (let i = 0; i < 20; i++) objects.push({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(`sa-${i}`) });
    for (let i = 0; i < 15; i++) {
      objects.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta(`app-${i}`),
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: `app-${i}` } },
          template: {
            metadata: { labels: { app: `app-${i}` } },
            spec: {
              serviceAccountName: `sa-${i}`,
              containers: [
                {
                  name: 'app',
                  image: 'nginx:1.27',
                  ports: [{ containerPort: 8080 }],
                  resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
                  envFrom: [{ configMapRef: { name: `cm-${i}` } }],
                },
              ],
            },
          },
        },
      });
    }
    for (let i = 0; i < 12; i++)
      objects.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta(`role-${i}`),
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
      });
    for (let i = 0; i < 12; i++)
      objects.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: meta(`rb-${i}`),
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `role-${i}` },
        subjects: [{ kind: 'ServiceAccount', name: `sa-${i}`, namespace: ns }],
      });
  }
  return {
    deployment,
    objects,
    options: { defaultNamespace: 'default', selfHeal: true, prune: true, forceConflicts: false, ignore: [] },
  };
}
