/** The recommend task's library surface: click logs, the session GRU, its losses, baselines and metrics. */
export * from './clicks.js';
export * from './simulate.js';
export * from './loss.js';
export * from './model.js';
export * from './baselines.js';
export * from './task.js';
