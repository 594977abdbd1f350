/**
 * The Node (V8) flags the hub runs with: in its container image (deploy/hub/Dockerfile), the local
 * demo and the protocol benchmark. Not settable from inside the process: V8 sets up its collector
 * before any of our code runs, and NODE_OPTIONS refuses them.
 *
 * Measured on 1,000 agents over gRPC + TLS, hub CPU per single-status message, alternating runs
 * (test/bench/RESULTS.md, "Status messages, session 6"):
 * - `--single-threaded-gc`: the collector works on the main thread only. On the 2 cores the hub is
 *   sized for, its helper threads competed with the main thread (and the machine's other work):
 *   58.0, 53.7, 58.7, 61.9 µs → 53.7, 49.8, 47.8, 57.1, 50.4, 57.4, 53.9 µs, and webhook → Ready
 *   p50 / p99 on 1,000 clusters 2,168 / 3,302 → 1,799 / 2,723 ms. Pauses are longer: marking runs in
 *   steps on the main thread instead of beside it.
 * - `--min-semi-space-size=16 --max-semi-space-size=32` (MiB): a young generation that starts large.
 *   With the collector on one thread, each scavenge costs the main thread the reports still in
 *   flight; fewer scavenges copy them less often. With the flag above: 37.6, 41.2, 52.5, 45.2,
 *   56.5, 38.3, 47.0, 36.8 µs (mean 44.4, against 52.9 without these two), and no more rounds of
 *   140–190 µs when a mark-compact landed in one. Hub RSS with 1,000 agents: 226 → 247–257 MiB.
 * - The cost: with all 10,000 agents dialling at once, 2,236 refused dials (retried) against 832
 *   with Node's defaults, one run each.
 */
export const HUB_NODE_FLAGS: readonly string[] = [
  '--single-threaded-gc',
  '--min-semi-space-size=16',
  '--max-semi-space-size=32',
];
