// The mediasoup test double: a testing entry point, never part of the production
// build (tools/build-api.mjs skips every testing/ folder; tsconfig.app.json excludes it).
export { FakeActiveSpeakerObserver } from './fake-active-speaker-observer';
export { FakeChannel } from './fake-channel';
export { FakeConsumer } from './fake-consumer';
export { FakeDataConsumer } from './fake-data-consumer';
export { FakeDataProducer } from './fake-data-producer';
export { FakeMediasoup, fakeMediasoupSource } from './fake-mediasoup';
export { FakePipeTransport } from './fake-pipe-transport';
export { FakeProducer } from './fake-producer';
export type { FakeCounts, FakeKind } from './fake-registry';
export { FakeRouter } from './fake-router';
export { FakeWebRtcServer } from './fake-webrtc-server';
export { FakeWebRtcTransport } from './fake-webrtc-transport';
export { FakeWorker } from './fake-worker';
