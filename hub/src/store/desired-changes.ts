/**
 * "The desired state of these clusters changed": said by the deployments repository whenever it
 * writes what a cluster must run (a deployment set or changed, removed, a retry asked for), heard by
 * the agents' transports, which send those clusters their new desired state. Changes made in one
 * turn of the event loop (a reconcile's transaction, a retry of many deployments) are told once,
 * after it: by then the transaction that made them has committed (transactions are synchronous).
 * A transaction rolled back may tell of clusters that did not change: an agent told is answered its
 * desired state as it is, so a spurious notice costs a compare, never a wrong state.
 *
 * A change written in several transactions with turns of the event loop between them (a reconcile
 * pass writes in chunks and removes last) is held and told once, when it is done: an agent never
 * sees a half-written pass (a new holder of objects before the old one is gone), and a cluster's
 * desired set is computed once per pass.
 */
export interface DesiredChanges {
  /** Calls `listener` with the clusters changed (sorted, each once); returns the unsubscribe. */
  subscribe(listener: (clusters: string[]) => void): () => void;
  /** Runs `work`; what it changes is told once it settles (held passes nest). */
  held<T>(work: () => Promise<T>): Promise<T>;
}

export interface DesiredChangeSink extends DesiredChanges {
  /** A cluster's desired state was written (called by the repositories). */
  changed(cluster: string): void;
}

export function desiredChanges(onError: (err: unknown) => void = () => undefined): DesiredChangeSink {
  const listeners = new Set<(clusters: string[]) => void>();
  let pending = new Set<string>();
  let scheduled = false;
  let holds = 0;
  const flush = () => {
    scheduled = false;
    if (holds > 0 || pending.size === 0) return;
    const clusters = [...pending].sort();
    pending = new Set();
    for (const l of listeners) {
      try {
        l(clusters);
      } catch (err) {
        onError(err);
      }
    }
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async held(work) {
      holds++;
      try {
        return await work();
      } finally {
        holds--;
        if (holds === 0 && !scheduled) {
          scheduled = true;
          queueMicrotask(flush);
        }
      }
    },
    changed(cluster) {
      if (listeners.size === 0) return;
      pending.add(cluster);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
  };
}
