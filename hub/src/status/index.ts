export * from './rollup.js';
export { foldStatus } from './fold.js';
