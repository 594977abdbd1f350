export * from './errors.js';
export * from './git-source.js';
export * from './poller.js';
export * from './repo-credentials.js';
export * from './webhooks.js';
