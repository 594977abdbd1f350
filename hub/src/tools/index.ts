export * from './run.js';
export * from './locate.js';
export * from './helm.js';
export * from './kustomize.js';
export * from './sandbox.js';
export * from './args.js';
