import { TestBed } from '@angular/core/testing';
import { SignalingError, type ProducerAppData } from '@confer/signaling-contracts';
import type { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import { testFakeParameters, type Device } from 'mediasoup-client';
import type { Transport } from 'mediasoup-client/types';
import { FakeSignalingServer, NO_ANSWER, settle, until } from '../../testing/fake-signaling-server';
import { MediaTestRig, newConsumer, setIceState } from '../../testing/media-testing';
import { ConnectionError, InvalidStateError, MediaPermissionError } from '../errors';
import { SignalingClient } from '../signaling/signaling-client';
import type { MediaDevicesLike } from '../tokens';
import { MediaSession } from './media-session';

const BOB = { id: 'bob', displayName: 'Bob', device: { flag: 'chrome', name: 'Chrome' }, role: 'participant' as const };

describe('MediaSession (mediasoup-client FakeHandler)', () => {
  let server: FakeSignalingServer;
  let session: MediaSession;
  let mediaDevices: jest.Mocked<MediaDevicesLike>;
  /** Every Device the session created, and every transport they created (newest last). */
  let devices: Device[];
  let transport: (direction: 'send' | 'recv') => Transport;

  beforeEach(() => {
    server = new FakeSignalingServer();
    const rig = new MediaTestRig(server);
    ({ devices, mediaDevices } = rig);
    transport = (direction) => rig.transport(direction);
    TestBed.configureTestingModule({ providers: rig.providers() });
    session = TestBed.inject(MediaSession);
  });

  afterEach(async () => {
    await session.leave();
  });

  const join = () => session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });

  it('joins: loads the Device, announces capabilities, creates recv and send transports', async () => {
    server.peers = [BOB];
    await join();
    expect(session.state()).toBe('joined');
    expect(session.mediaAvailable()).toBe(true);
    expect(session.remotePeers()).toEqual([BOB]);
    expect(session.peerId()).toBe('me');
    const joinRequest = server.requests('join')[0];
    expect(joinRequest).toMatchObject({ roomId: 'room-1', displayName: 'Me', rtpCapabilities: expect.any(Object), sctpCapabilities: expect.any(Object) });
    expect(server.requests('createWebRtcTransport').map((r) => r['direction'])).toEqual(['recv', 'send']);
    const order = server.received.map((r) => r.method);
    // The transports are asked for with the capabilities' answer, while the Device loads and before `join`.
    expect(order.slice(0, 5)).toEqual(['authenticate', 'getRouterRtpCapabilities', 'createWebRtcTransport', 'createWebRtcTransport', 'join']);
  });

  it('keeps a peer who joined while its own join was in flight (told before the answer, whose list was taken earlier)', async () => {
    server.on('join', () => {
      server.notify('peerJoined', BOB);
      return { peers: [], ...server.joinAnswer };
    });
    await join();
    expect(session.remotePeers()).toEqual([BOB]);
  });

  it('produces mic and camera (camera with three simulcast encodings); mute pauses on the server', async () => {
    await join();
    await session.enableMic();
    await session.enableCamera();
    expect(server.requests('connectWebRtcTransport')).toHaveLength(1);
    const produced = server.requests('produce');
    expect(produced.map((p) => (p['appData'] as ProducerAppData).source)).toEqual(['mic', 'webcam']);
    expect((produced[1]['rtpParameters'] as { encodings: unknown[] }).encodings).toHaveLength(3);
    expect(session.localProducers().map((p) => [p.source, p.kind, p.paused])).toEqual([
      ['mic', 'audio', false],
      ['webcam', 'video', false],
    ]);

    await session.muteMic();
    expect(server.requests('pauseProducer')).toEqual([{ producerId: session.localProducers()[0].id }]);
    expect(session.localProducers()[0].paused).toBe(true);
    await session.unmuteMic();
    expect(server.requests('resumeProducer')).toHaveLength(1);
    expect(session.localProducers()[0].paused).toBe(false);

    const micId = session.localProducers()[0].id;
    server.notify('producerScore', { producerId: micId, score: [{ ssrc: 1, score: 9 }] });
    await until(() => session.localProducers()[0].score.length === 1);
  });

  it('consumes a paused producer, answers the server, then follows resume, score and layers', async () => {
    await join();
    server.notify('peerJoined', BOB);
    const params = newConsumer('bob', 'webcam', true);
    const answer = await server.request('newConsumer', params);
    expect(answer).toMatchObject({ type: 'response', ok: true, data: {} });
    expect(server.requests('connectWebRtcTransport')).toHaveLength(1);

    const [consumer] = session.consumers();
    expect(consumer).toMatchObject({ id: params.id, peerId: 'bob', kind: 'video', source: 'webcam', producerPaused: true, paused: false });
    expect(consumer.track.kind).toBe('video');
    expect(session.consumersByPeer().get('bob')).toHaveLength(1);

    server.notify('consumerResumed', { consumerId: params.id });
    await until(() => session.consumers()[0].producerPaused === false);
    server.notify('consumerScore', { consumerId: params.id, score: { score: 7, producerScore: 10, producerScores: [10] } });
    server.notify('consumerLayersChanged', { consumerId: params.id, layers: { spatialLayer: 2, temporalLayer: 1 } });
    await until(() => session.consumers()[0].layers?.spatialLayer === 2 && session.consumers()[0].score?.score === 7);

    server.notify('consumerPaused', { consumerId: params.id });
    await until(() => session.consumers()[0].producerPaused === true);

    await session.setConsumerPreferredLayers(params.id, { spatialLayer: 0 });
    expect(server.requests('setConsumerPreferredLayers')).toEqual([{ consumerId: params.id, spatialLayer: 0 }]);
  });

  it('removes the peer and its consumers when the peer leaves', async () => {
    await join();
    server.notify('peerJoined', BOB);
    await server.request('newConsumer', newConsumer('bob', 'mic'));
    await server.request('newConsumer', newConsumer('bob', 'webcam'));
    server.notify('activeSpeaker', { peerId: 'bob', volume: -20 });
    await until(() => session.activeSpeaker() === 'bob');
    expect(session.consumers()).toHaveLength(2);

    server.notify('peerLeft', { peerId: 'bob' });
    await until(() => session.remotePeers().length === 0);
    expect(session.consumers()).toEqual([]);
    expect(session.activeSpeaker()).toBeNull();
  });

  it('drops a consumer when its producer closes, and closes its own producers on disable', async () => {
    await join();
    const mic = newConsumer('bob', 'mic');
    const cam = newConsumer('bob', 'webcam');
    await server.request('newConsumer', mic);
    await server.request('newConsumer', cam);
    server.notify('consumerClosed', { consumerId: mic.id });
    await until(() => session.consumers().length === 1);
    expect(session.consumers()[0].id).toBe(cam.id);

    await session.enableMic();
    const { id } = session.localProducers()[0];
    await session.disableMic();
    expect(server.requests('closeProducer')).toEqual([{ producerId: id }]);
    expect(session.localProducers()).toEqual([]);
  });

  it('shares the screen as a separate producer and stops it when the track ends', async () => {
    await join();
    await session.enableScreenShare();
    expect(session.localProducers().map((p) => p.source)).toEqual(['screen']);
    const track = session.localProducers()[0].track as unknown as FakeMediaStreamTrack;
    track.remoteStop();
    await until(() => session.localProducers().length === 0 && server.requests('closeProducer').length === 1);
  });

  it('maps a denied camera to a MediaPermissionError', async () => {
    await join();
    mediaDevices.getUserMedia.mockRejectedValueOnce(Object.assign(new Error('denied'), { name: 'NotAllowedError' }));
    const error = await session.enableCamera().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaPermissionError);
    expect(error).toMatchObject({ reason: 'denied', device: 'camera' });
  });

  it('leave() closes every producer, consumer and transport and the socket', async () => {
    await join();
    await session.enableMic();
    await server.request('newConsumer', newConsumer('bob', 'mic'));
    const track = session.localProducers()[0].track;
    await session.leave();
    expect(server.requests('leave')).toHaveLength(1);
    expect(session.state()).toBe('closed');
    expect(session.localProducers()).toEqual([]);
    expect(session.consumers()).toEqual([]);
    expect(track.readyState).toBe('ended');
    expect(TestBed.inject(SignalingClient).state()).toBe('closed');
  });

  it('joins without media when the server has no worker', async () => {
    server.mediaAvailable = false;
    await join();
    expect(session.state()).toBe('joined');
    expect(session.mediaAvailable()).toBe(false);
    expect(server.requests('getRouterRtpCapabilities')).toHaveLength(0);
    expect(server.requests('join')[0]['rtpCapabilities']).toBeUndefined();
    expect(server.requests('createWebRtcTransport')).toHaveLength(0);
    await expect(session.enableMic()).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('keeps media across a resumed reconnection and rebuilds it when the server forgot the session', async () => {
    await join();
    await session.enableMic();
    server.accepting = false;
    server.socket.drop();
    await until(() => session.state() === 'reconnecting');
    server.accepting = true;
    await until(() => session.state() === 'joined');
    expect(server.requests('join')).toHaveLength(1);

    server.on('authenticate', () => server.session(false));
    server.socket.drop();
    await until(() => server.requests('join').length === 2);
    await until(() => session.state() === 'joined' && session.localProducers().length === 1);
    expect(server.requests('produce')).toHaveLength(2);
  });

  it('finishes a mediaReset rebuild that a lost connection interrupted once the server is back', async () => {
    await join();
    await session.enableMic();
    server.on('getRouterRtpCapabilities', () => {
      server.accepting = false;
      server.socket.drop(); // the server goes away while we rebuild
      return NO_ANSWER;
    });
    server.notify('mediaReset', { reason: 'the media router closed' });
    await until(() => TestBed.inject(SignalingClient).state() === 'reconnecting');
    await settle(5);
    expect(session.state()).toBe('reconnecting');
    server.on('getRouterRtpCapabilities', () => ({ rtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() }));
    server.on('authenticate', () => server.session(false));
    server.accepting = true;
    await until(() => session.state() === 'joined' && session.localProducers().length === 1);
    expect(server.requests('join')).toHaveLength(2);
  });

  it('rebuilds everything on mediaReset', async () => {
    await join();
    await server.request('newConsumer', newConsumer('bob', 'mic'));
    server.notify('mediaReset', { reason: 'worker died' });
    await until(() => server.requests('getRouterRtpCapabilities').length === 2);
    await until(() => session.state() === 'joined' && server.requests('createWebRtcTransport').length === 4);
    expect(session.consumers()).toEqual([]);
    await settle();
  });

  it('rebuilds on mediaReset with the same local tracks: no new getUserMedia, Device reused, mute and screen share kept', async () => {
    await join();
    await session.enableMic();
    await session.enableCamera();
    await session.enableScreenShare();
    await session.muteMic();
    const before = session.localProducers();
    const recoveries: (string | null)[] = [];
    const sub = session.recovery$.subscribe((r) => recoveries.push(r));
    server.notify('mediaReset', { reason: 'worker died' });
    await until(() => server.requests('produce').length === 6 && session.state() === 'joined');
    sub.unsubscribe();

    expect(mediaDevices.getUserMedia).toHaveBeenCalledTimes(2);
    expect(mediaDevices.getDisplayMedia).toHaveBeenCalledTimes(1);
    expect(devices).toHaveLength(1); // same router capabilities: the loaded Device is reused
    const after = session.localProducers();
    expect(after.map((p) => [p.source, p.paused])).toEqual([
      ['mic', true],
      ['webcam', false],
      ['screen', false],
    ]);
    for (const [i, p] of after.entries()) {
      expect(p.track).toBe(before[i].track);
      expect(p.track.readyState).toBe('live');
      expect(p.id).not.toBe(before[i].id);
    }
    // The muted mic is produced paused: no burst of audio before a pauseProducer.
    const reproduced = server.requests('produce').slice(3);
    expect(reproduced.map((r) => r['paused'] ?? false)).toEqual([true, false, false]);
    expect(server.requests('pauseProducer')).toHaveLength(1);
    expect(recoveries).toEqual([null, 'media', null]);
  });

  it('loads a new Device when the new router has other capabilities, and captures again a track that ended meanwhile', async () => {
    await join();
    await session.enableCamera();
    const old = session.localProducers()[0].track as unknown as FakeMediaStreamTrack;
    server.on('getRouterRtpCapabilities', () => {
      const caps = testFakeParameters.generateRouterRtpCapabilities();
      return { rtpCapabilities: { ...caps, codecs: caps.codecs?.filter((c) => c.mimeType.toLowerCase() !== 'video/h264') } };
    });
    // The track ends while the rebuild has not produced it yet.
    server.on('join', () => {
      old.stop();
      return { ...server.joinAnswer, peers: [] };
    });
    server.notify('mediaReset', { reason: 'worker died' });
    await until(() => server.requests('produce').length === 2 && session.state() === 'joined');
    expect(devices).toHaveLength(2);
    expect(mediaDevices.getUserMedia).toHaveBeenCalledTimes(2);
    expect(session.localProducers()[0].track).not.toBe(old);
  });

  it('consumers come back through newConsumer after a rebuild', async () => {
    await join();
    server.notify('peerJoined', BOB);
    await server.request('newConsumer', newConsumer('bob', 'webcam'));
    server.notify('mediaReset', { reason: 'worker died' });
    await until(() => session.state() === 'reconnecting');
    // Peers stay listed while the media is re-created (no tile flicker)…
    expect(session.remotePeers()).toEqual([BOB]);
    server.peers = [BOB];
    await until(() => session.state() === 'joined');
    const again = newConsumer('bob', 'webcam');
    expect(await server.request('newConsumer', again)).toMatchObject({ ok: true });
    expect(session.consumers().map((c) => c.id)).toEqual([again.id]);
  });

  it('restarts ICE on a transport that stays disconnected past the grace period, not on a short blip', async () => {
    await join();
    await session.enableMic(); // connects the send transport
    const send = transport('send');
    const restart = jest.spyOn(send.handler, 'restartIce');
    setIceState(send, 'connected');
    setIceState(send, 'disconnected');
    setIceState(send, 'connected'); // healed by itself within the grace
    await new Promise((r) => setTimeout(r, 100));
    expect(server.requests('restartIce')).toHaveLength(0);

    setIceState(send, 'disconnected');
    await until(() => restart.mock.calls.length === 1);
    expect(server.requests('restartIce')).toEqual([{ transportId: send.id }]);
    expect(restart).toHaveBeenCalledWith(server.lastIceParameters);
    expect(session.recovery()).toBe('ice');
    setIceState(send, 'connected');
    expect(session.recovery()).toBeNull();
  });

  it('restarts ICE at once when a transport fails, and backs off when it keeps failing', async () => {
    await join();
    const recv = transport('recv');
    const restart = jest.spyOn(recv.handler, 'restartIce');
    setIceState(recv, 'failed');
    await until(() => restart.mock.calls.length === 1);
    expect(server.requests('restartIce')).toEqual([{ transportId: recv.id }]);
    setIceState(recv, 'connecting');
    setIceState(recv, 'failed');
    await settle();
    expect(restart).toHaveBeenCalledTimes(1); // second attempt waits (1 s backoff, capped at 200 ms here)
    await until(() => restart.mock.calls.length === 2);
  });

  it('restarts ICE on both transports when the browser comes back online, without a "recovering" state (media did not stop)', async () => {
    await join();
    await session.enableMic();
    setIceState(transport('send'), 'connected');
    const recoveries: (string | null)[] = [];
    const sub = session.recovery$.subscribe((r) => recoveries.push(r));
    window.dispatchEvent(new Event('online'));
    await until(() => server.requests('restartIce').length === 2);
    expect(server.requests('restartIce').map((r) => r['transportId']).sort()).toEqual([transport('recv').id, transport('send').id].sort());
    await settle();
    sub.unsubscribe();
    // The send transport was connected and the recv one never connected (no consumer yet).
    expect(recoveries).toEqual([null]);
  });

  it('leave() during a rebuild ends closed, not failed', async () => {
    await join();
    await session.enableMic();
    server.on('join', () => NO_ANSWER);
    server.notify('mediaReset', { reason: 'worker died' });
    await until(() => server.requests('join').length === 2);
    await session.leave();
    await settle();
    expect(session.state()).toBe('closed');
  });

  it('restarts ICE on both transports after a resumed reconnection, keeping transports, producers and consumers', async () => {
    await join();
    await session.enableMic();
    await server.request('newConsumer', newConsumer('bob', 'mic'));
    const [send, recv] = [transport('send'), transport('recv')];
    const producerId = session.localProducers()[0].id;
    server.socket.drop();
    await until(() => session.recovery() === 'connection');
    await until(() => server.requests('restartIce').length === 2);
    expect(server.requests('restartIce').map((r) => r['transportId']).sort()).toEqual([send.id, recv.id].sort());
    expect(send.closed || recv.closed).toBe(false);
    expect(session.localProducers()[0].id).toBe(producerId);
    expect(session.consumers()).toHaveLength(1);
    expect(server.requests('join')).toHaveLength(1);
    expect(server.requests('createWebRtcTransport')).toHaveLength(2);
  });

  it('rebuilds when the server no longer knows the transport being restarted', async () => {
    await join();
    server.on('restartIce', () => {
      throw new SignalingError('not_found', 'no such transport');
    });
    setIceState(transport('recv'), 'failed');
    await until(() => server.requests('join').length === 2 && session.state() === 'joined');
  });

  describe('use in the wrong state', () => {
    const mediaActions = (): [string, () => Promise<unknown>][] => [
      ['enableMic', () => session.enableMic()],
      ['enableCamera', () => session.enableCamera()],
      ['enableScreenShare', () => session.enableScreenShare()],
      ['disableMic', () => session.disableMic()],
      ['disableScreenShare', () => session.disableScreenShare()],
      ['muteMic', () => session.muteMic()],
      ['resumeProducer', () => session.resumeProducer('webcam')],
      ['switchCamera', () => session.switchCamera('cam-2')],
      ['pauseConsumer', () => session.pauseConsumer('c1')],
      ['setConsumerPreferredLayers', () => session.setConsumerPreferredLayers('c1', { spatialLayer: 0 })],
      ['getConsumerStats', () => session.getConsumerStats('c1')],
    ];

    it('rejects every media action with InvalidStateError before join() and after leave(), asking nothing of devices or server', async () => {
      const expectRefused = async (state: string): Promise<void> => {
        for (const [name, action] of mediaActions()) {
          const error = await action().catch((e: unknown) => e);
          expect([name, error]).toEqual([name, expect.any(InvalidStateError)]);
          expect((error as Error).message).toContain(`while ${state}`);
        }
      };
      await expectRefused('idle');
      await join();
      await session.leave();
      await expectRefused('closed');
      expect(mediaDevices.getUserMedia).not.toHaveBeenCalled();
      expect(mediaDevices.getDisplayMedia).not.toHaveBeenCalled();
      expect(server.requests('closeProducer')).toEqual([]);
    });

    it('rejects muting a microphone that is off and consumer actions on unknown consumers; turning off what is off is a no-op', async () => {
      await join();
      await expect(session.muteMic()).rejects.toBeInstanceOf(InvalidStateError);
      await expect(session.unmuteMic()).rejects.toBeInstanceOf(InvalidStateError);
      await expect(session.resumeConsumer('nope')).rejects.toBeInstanceOf(InvalidStateError);
      await expect(session.disableCamera()).resolves.toBeUndefined();
      expect(server.requests('pauseProducer')).toEqual([]);
    });

    it('rejects join() while joined with InvalidStateError and missing options with TypeError', async () => {
      await expect(session.join({ token: '', roomId: 'r', displayName: 'x' })).rejects.toBeInstanceOf(TypeError);
      expect(session.state()).toBe('idle');
      await join();
      await expect(join()).rejects.toBeInstanceOf(InvalidStateError);
      expect(session.state()).toBe('joined');
    });

    it('fails with a ConnectionError (not a wire SignalingError) when the connection is gone for good', async () => {
      await join();
      server.on('authenticate', () => server.session(false));
      server.socket.drop(4409, 'replaced');
      await until(() => session.state() === 'failed');
      const error = session.error();
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).not.toBeInstanceOf(SignalingError);
      expect(error).toMatchObject({ name: 'ConnectionError', reason: 'replaced' });
    });
  });
});
