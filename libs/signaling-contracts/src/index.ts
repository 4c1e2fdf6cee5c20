export * from './lib/envelope';
export * from './lib/errors';
export * from './lib/media-types';
export * from './lib/domain';
export * from './lib/client-requests';
export * from './lib/server-messages';
export * from './lib/methods';
