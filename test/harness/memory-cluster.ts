import { refOf, type Bundle, type DeploymentReport, type BundleSink } from '@flotilla/agent';

/**
 * The cluster side of an agent held in memory: what the real session code hands to the enforcer is
 * kept here, and every bundle is Ready at once, each of its objects reported Ready as the agent
 * reports them (so a status is as large on the wire as a real agent's). For transport tests and
 * benchmarks, where the protocol is under test and a Kubernetes API would only add noise.
 */
export class MemoryCluster implements BundleSink {
  readonly applied = new Map<string, Bundle>();
  /** Every bundle handed over, in order (a refetch shows up twice). */
  readonly received: Bundle[] = [];
  /** Each applied bundle's report, built once (a benchmark's simulators ask for it often). */
  readonly #reports = new Map<string, Omit<DeploymentReport, 'observedAt'>>();

  set(bundle: Bundle): Promise<DeploymentReport | undefined> {
    this.applied.set(bundle.deployment, bundle);
    this.#reports.delete(bundle.deployment);
    this.received.push(bundle);
    return Promise.resolve(this.report(bundle.deployment));
  }

  /** Deployments the hub asked to apply again now (`fleet deployments retry`), in order. */
  readonly retried: string[] = [];

  retry(deployment: string): Promise<DeploymentReport | undefined> {
    if (this.applied.has(deployment)) this.retried.push(deployment);
    return Promise.resolve(this.report(deployment));
  }

  remove(deployment: string): Promise<boolean> {
    this.#reports.delete(deployment);
    return Promise.resolve(this.applied.delete(deployment));
  }

  report(deployment: string): DeploymentReport | undefined {
    const b = this.applied.get(deployment);
    if (!b) return undefined;
    let r = this.#reports.get(deployment);
    if (!r) {
      r = {
        deployment,
        ...(b.digest ? { digest: b.digest } : {}),
        state: 'Ready',
        message: `${b.objects.length} objects ready`,
        objects: b.objects.map((o) => ({
          ref: refOf(o),
          change: 'unchanged' as const,
          reason: '',
          health: 'Ready' as const,
          message: '',
          state: 'Ready' as const,
        })),
        drift: [],
      };
      this.#reports.set(deployment, r);
    }
    return { ...r, observedAt: Date.now() };
  }

  deployments(): string[] {
    return [...this.applied.keys()];
  }
}
