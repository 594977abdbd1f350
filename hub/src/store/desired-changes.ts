/**
 * "The desired state of these clusters changed": said by the deployments repository whenever it
 * writes what a cluster must run (a deployment set or changed, removed, a retry asked for), heard by
 * the agents' transports, which send those clusters their new desired state. Changes made in one
 * turn of the event loop (a reconcile's transaction, a retry of many deployments) are told once,
 * after it: by then the transaction that made them has committed (transactions are synchronous).
 * A transaction rolled back may tell of clusters that did not change: an agent told is answered its
 * desired state as it is, so a spurious notice costs a compare, never a wrong state.
 */
export interface DesiredChanges {
  /** Calls `listener` with the clusters changed (sorted, each once); returns the unsubscribe. */
  subscribe(listener: (clusters: string[]) => void): () => void;
}

export interface DesiredChangeSink extends DesiredChanges {
  /** A cluster's desired state was written (called by the repositories). */
  changed(cluster: string): void;
}

export function desiredChanges(onError: (err: unknown) => void = () => undefined): DesiredChangeSink {
  const listeners = new Set<(clusters: string[]) => void>();
  let pending = new Set<string>();
  let scheduled = false;
  const flush = () => {
    scheduled = false;
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
