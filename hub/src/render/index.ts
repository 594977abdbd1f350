export { criteriaMatch, matchCustomization, selectorMatches, type ClusterFacts, type Labels } from './customize.js';
export * from './errors.js';
export type * from './fleet-types.js';
export { parseFleetYaml } from './fleet-yaml.js';
export {
  checkRelativePath,
  defaultLoadOptions,
  loadManifests,
  readManifestFiles,
  type LoadOptions,
  type SourceFile,
} from './load.js';
export { parseManifests } from './manifests.js';
export { applyYamlOverlays, mergePatch, patchTarget, type YamlOverlay } from './overlays.js';
export { substituteClusterValues, type TemplateCluster } from './substitute.js';
export { RenderCache } from './cache.js';
export {
  ignoreRules,
  mergeValues,
  planRender,
  type DeployOptions,
  type IgnoreRuleSpec,
  type RenderCluster,
  type RenderInput,
  type RenderKind,
  type RenderPlan,
  type RenderTools,
} from './target.js';
