import type { Provider } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { NewConsumerParams, ProducerAppData } from '@confer/signaling-contracts';
import { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import { Device, FakeHandler, testFakeParameters } from 'mediasoup-client';
import type { Transport } from 'mediasoup-client/types';
import { SessionContext } from '../lib/session/session-context';
import { SessionStore } from '../lib/session/session-store';
import { TransportManager } from '../lib/session/transport-manager';
import { SignalingClient } from '../lib/signaling/signaling-client';
import {
  DEVICE_FACTORY,
  MEDIA_DEVICES,
  MEDIA_SESSION_OPTIONS,
  SIGNALING_OPTIONS,
  SIGNALING_URL,
  WEB_SOCKET_FACTORY,
  type MediaDevicesLike,
  type MediaSessionOptions,
} from '../lib/tokens';
import type { FakeSignalingServer } from './fake-signaling-server';

/** A stream of one fake track, as getUserMedia/getDisplayMedia would return. */
export function fakeStream(kind: 'audio' | 'video'): MediaStream {
  const track = new FakeMediaStreamTrack({ kind }) as unknown as MediaStreamTrack;
  return {
    getAudioTracks: () => (kind === 'audio' ? [track] : []),
    getVideoTracks: () => (kind === 'video' ? [track] : []),
    getTracks: () => [track],
  } as unknown as MediaStream;
}

/** A `newConsumer` request for a consumer of `peerId`'s `source`, with mediasoup-client's fake parameters. */
export function newConsumer(peerId: string, source: ProducerAppData['source'], producerPaused = false): NewConsumerParams {
  const kind = source === 'mic' || source === 'screen-audio' ? 'audio' : 'video';
  const remote = testFakeParameters.generateConsumerRemoteParameters({ codecMimeType: kind === 'audio' ? 'audio/opus' : 'video/VP8' });
  return { peerId, producerId: remote.producerId, id: remote.id, kind, rtpParameters: remote.rtpParameters, type: 'simple', appData: { source }, producerPaused };
}

/** mediasoup-client's FakeHandler lets a test set the connection state (as a browser would). */
export function setIceState(transport: Transport, state: RTCPeerConnectionState): void {
  (transport.handler as unknown as FakeHandler).setConnectionState(state);
}

/**
 * Everything a media test provides: the fake server's sockets, short timings, a
 * Device on mediasoup-client's FakeHandler and fake capture devices. Records the
 * Devices and transports created, newest last.
 */
export class MediaTestRig {
  readonly devices: Device[] = [];
  readonly transports: Transport[] = [];
  readonly mediaDevices: jest.Mocked<MediaDevicesLike> = {
    getUserMedia: jest.fn(async (c?: MediaStreamConstraints) => fakeStream(c?.video ? 'video' : 'audio')),
    getDisplayMedia: jest.fn(async () => fakeStream('video')),
    enumerateDevices: jest.fn(async () => []),
  };

  readonly createDevice = (): Device => {
    const device = new Device({ handlerFactory: FakeHandler.createFactory(testFakeParameters) });
    device.observer.on('newtransport', (t: Transport) => this.transports.push(t));
    this.devices.push(device);
    return device;
  };

  constructor(readonly server: FakeSignalingServer) {}

  /** Providers for TestBed (or an environment injector). */
  providers(): Provider[] {
    return [
      { provide: WEB_SOCKET_FACTORY, useValue: this.server.factory },
      { provide: SIGNALING_URL, useValue: 'ws://test/ws' },
      { provide: SIGNALING_OPTIONS, useValue: { requestTimeoutMs: 1000, reconnectBaseDelayMs: 5, reconnectMaxDelayMs: 20, maxReconnectAttempts: 50 } },
      { provide: DEVICE_FACTORY, useValue: this.createDevice },
      { provide: MEDIA_SESSION_OPTIONS, useValue: { iceDisconnectedGraceMs: 50, iceRestartMaxDelayMs: 200 } },
      { provide: MEDIA_DEVICES, useValue: this.mediaDevices },
    ];
  }

  /** The newest transport in `direction`. */
  transport(direction: 'send' | 'recv'): Transport {
    const found = this.transports.filter((t) => t.direction === direction).at(-1);
    if (!found) throw new Error(`no ${direction} transport`);
    return found;
  }
}

/** One session's shared pieces around a connected signaling client, for tests of a single part. */
export interface ConnectedParts {
  signaling: SignalingClient;
  store: SessionStore;
  context: SessionContext;
  transports: TransportManager;
  /** Closes the transports and the socket. */
  dispose(): void;
}

/** Configures TestBed with `rig`'s providers and connects a signaling client to its server. */
export async function connectParts(rig: MediaTestRig, options: MediaSessionOptions = { iceDisconnectedGraceMs: 50, iceRestartMaxDelayMs: 200 }): Promise<ConnectedParts> {
  TestBed.configureTestingModule({ providers: rig.providers() });
  const signaling = TestBed.inject(SignalingClient);
  const store = new SessionStore();
  const context = new SessionContext(signaling, store);
  const transports = new TransportManager(context, rig.createDevice, options);
  await signaling.connect('tok');
  return { signaling, store, context, transports, dispose: () => (transports.dispose(), signaling.close()) };
}
