export * from './rollup.js';
