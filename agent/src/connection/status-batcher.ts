import { SETTLING_WIRE_STATES, type AgentMessage, type DeploymentStatus } from '@flotilla/proto';

/**
 * Most weight in one message: a status counts 1 plus its objects. At a few hundred bytes an object,
 * 2,000 keeps a message near 0.5 MB, well under the hub's 4 MB receive limit.
 */
export const MAX_BATCH_WEIGHT = 2000;

/**
 * Statuses waiting to be sent, coalesced the way the hub folds them: of several statuses of one
 * deployment and generation only the latest is kept, plus the first that settles it (Ready or ErrApplied:
 * the hub records the rollout's outcome and duration from that one). `drain` turns them into as few
 * messages as fit: one status alone, several as a StatusBatch.
 */
export class StatusBatcher {
  private pending: DeploymentStatus[] = [];
  /** Index in `pending` of the latest status of each deployment and generation. */
  private latest = new Map<string, number>();
  /** Index in `pending` of the first settling status of each deployment and generation. */
  private firstSettling = new Map<string, number>();

  get size(): number {
    return this.pending.length;
  }

  /** Queues a status; true when the queue was empty (the caller then schedules a drain). */
  push(s: DeploymentStatus): boolean {
    const key = `${s.deployment}\u0000${String(s.generation ?? 0)}`;
    const settling = SETTLING_WIRE_STATES.has(s.state);
    const at = this.latest.get(key);
    if (at !== undefined && at !== this.firstSettling.get(key)) {
      this.pending[at] = s;
      if (settling && !this.firstSettling.has(key)) this.firstSettling.set(key, at);
      return false;
    }
    const i = this.pending.push(s) - 1;
    this.latest.set(key, i);
    if (settling && !this.firstSettling.has(key)) this.firstSettling.set(key, i);
    return i === 0;
  }

  /** The queued statuses as messages, in the order they were queued; the queue is then empty. */
  drain(): AgentMessage[] {
    const all = this.pending;
    this.pending = [];
    this.latest.clear();
    this.firstSettling.clear();
    const out: AgentMessage[] = [];
    let part: DeploymentStatus[] = [];
    let weight = 0;
    const flush = () => {
      if (part.length === 1) out.push({ status: part[0]! });
      else if (part.length > 1) out.push({ statuses: { statuses: part } });
      part = [];
      weight = 0;
    };
    for (const s of all) {
      const w = 1 + (s.objects?.length ?? 0);
      if (part.length > 0 && weight + w > MAX_BATCH_WEIGHT) flush();
      part.push(s);
      weight += w;
    }
    flush();
    return out;
  }
}
