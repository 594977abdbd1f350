export * from './run.js';
export * from './helm.js';
export * from './kustomize.js';
