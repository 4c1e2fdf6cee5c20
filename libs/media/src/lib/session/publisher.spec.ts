import { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import { testFakeParameters } from 'mediasoup-client';
import type { AppData } from 'mediasoup-client/types';
import { FakeSignalingServer } from '../../testing/fake-signaling-server';
import { MediaTestRig, connectParts, type ConnectedParts } from '../../testing/media-testing';
import { InvalidStateError } from '../errors';
import type { LocalProducer } from './media-session.types';
import { Publisher } from './publisher';
import type { SessionStore } from './session-store';
import type { TransportManager } from './transport-manager';

describe('Publisher', () => {
  let server: FakeSignalingServer;
  let rig: MediaTestRig;
  let store: SessionStore;
  let transports: TransportManager;
  let publisher: Publisher;

  let parts: ConnectedParts;

  beforeEach(async () => {
    server = new FakeSignalingServer();
    rig = new MediaTestRig(server);
    parts = await connectParts(rig);
    ({ store, transports } = parts);
    publisher = new Publisher(parts.context, transports, rig.mediaDevices);
  });

  afterEach(() => parts.dispose());

  /** What `join()` leaves behind: in the room, with a Device and a send transport. */
  const enterRoom = async (): Promise<void> => {
    store.state.set('joined');
    store.mediaAvailable.set(true);
    await transports.loadDevice(testFakeParameters.generateRouterRtpCapabilities());
    await transports.create('send');
  };

  const mutedMic = (): LocalProducer => ({
    id: 'old',
    source: 'mic',
    kind: 'audio',
    track: new FakeMediaStreamTrack({ kind: 'audio' }) as unknown as MediaStreamTrack,
    paused: true,
    score: [],
  });

  it("passes `paused` with the produce call's appData, and the bridge sends it as the request's own field", async () => {
    await enterRoom();
    const produceEvents: AppData[] = [];
    rig.transport('send').on('produce', ({ appData }) => produceEvents.push({ ...appData }));

    await publisher.restore(mutedMic());

    expect(produceEvents).toEqual([{ source: 'mic', paused: true }]);
    const [request] = server.requests('produce');
    expect(request['paused']).toBe(true);
    expect(request['appData']).toEqual({ source: 'mic' });
    expect(store.producers.value.map((p) => [p.source, p.paused])).toEqual([['mic', true]]);
    // Created paused on the server: no extra pauseProducer round trip, no capture prompt.
    expect(server.requests('pauseProducer')).toEqual([]);
    expect(rig.mediaDevices.getUserMedia).not.toHaveBeenCalled();
  });

  it('produces an unmuted source without `paused` at all', async () => {
    await enterRoom();
    await publisher.enableMic();
    const [request] = server.requests('produce');
    expect(request).not.toHaveProperty('paused');
    expect(request['appData']).toEqual({ source: 'mic' });
  });

  it('refuses to capture or produce outside a room, or without a send transport', async () => {
    await expect(publisher.enableMic()).rejects.toThrow(InvalidStateError);
    store.state.set('joined');
    store.mediaAvailable.set(true);
    await expect(publisher.enableCamera()).rejects.toThrow('Cannot send media');
    await expect(publisher.pause('mic')).rejects.toThrow(InvalidStateError);
    expect(rig.mediaDevices.getUserMedia).not.toHaveBeenCalled();
  });

  it('close(false) keeps the tracks running for a rebuild; close(true) stops them', async () => {
    await enterRoom();
    await publisher.enableMic();
    const { track } = store.producers.value[0];
    publisher.close(false);
    expect(track.readyState).toBe('live');
    await publisher.restore(store.producers.value[0]);
    publisher.close(true);
    expect(track.readyState).toBe('ended');
  });
});
