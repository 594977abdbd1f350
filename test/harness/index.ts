export { freePort, freePorts } from './ports.js';
export { waitFor, WaitTimeoutError, type WaitOptions } from './wait.js';
export { spawnServer, pidAlive, pidRss, killPid, type Spawned, type SpawnOptions } from './process.js';
export { startNats, type NatsServer, type NatsOptions } from './nats.js';
export { startGitServer, type GitServer, type GitServerOptions, type GitAuth } from './git-server.js';
export { locateBinaries, KUBE_BINARIES, REPO_ROOT, MissingBinariesError, type KubeBinaries } from './kube/binaries.js';
export {
  startFleet,
  readRecord,
  stopRecord,
  liveProcesses,
  fleetRss,
  FleetError,
  type KubeClusterInfo,
  type KubeFleet,
  type FleetRecord,
  type StartFleetOptions,
} from './kube/fleet.js';
export { kubeGlobalSetup, type KubeSetupOptions } from './kube/global-setup.js';
export { kubeClient, clusterByName } from './kube/client.js';
export { commitManyFiles, manyFilesContent, type ManyFilesOptions } from './big-repo.js';
