export * from './calls.js';
export * from './channels.js';
export * from './client.js';
export * from './dispatcher.js';
export * from './domain.js';
export * from './envelope.js';
export * from './events.js';
export * from './grapheme.js';
