export * from './selector.js';
export * from './targeting.js';
