/**
 * @confer/media — the browser SDK: Angular services over mediasoup-client and the
 * signaling channel. See libs/media/README.md.
 */
export * from './lib/tokens';
export * from './lib/errors';
export { State } from './lib/util/state';
export { fromEmitter } from './lib/util/from-emitter';
export * from './lib/signaling/signaling-client.types';
export * from './lib/signaling/signaling-client';
export * from './lib/session/media-session.types';
export * from './lib/session/media-session';
export type { DataChannelOptions, LocalDataChannel } from './lib/session/data-channel-publisher';
export * from './lib/session/media-devices.service';
export * from './lib/chat/chat.service';
export * from './lib/files/file-transfer.service';
export { sha256Hex } from './lib/files/file-encoding';
export { MediaStreamDirective } from './lib/util/media-stream.directive';
