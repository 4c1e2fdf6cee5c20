import { TestBed } from '@angular/core/testing';
import { SignalingError } from '@confer/signaling-contracts';
import { FakeSignalingServer, until } from '../../testing/fake-signaling-server';
import { MediaTestRig, newConsumer } from '../../testing/media-testing';
import { SignalingClient } from '../signaling/signaling-client';
import { MediaSession } from './media-session';

describe('MediaSession.prepare (the join screen gets everything but `join` ready)', () => {
  let server: FakeSignalingServer;
  let rig: MediaTestRig;
  let session: MediaSession;

  beforeEach(() => {
    server = new FakeSignalingServer();
    rig = new MediaTestRig(server);
    TestBed.configureTestingModule({ providers: rig.providers() });
    session = TestBed.inject(MediaSession);
  });

  afterEach(async () => {
    await session.leave();
  });

  const methods = () => server.received.map((r) => r.method);

  it('opens the socket, enters the room, loads the Device and makes both transports; join() then sends only join', async () => {
    await session.prepare({ token: 'tok', roomId: 'room-1' });
    expect(session.state()).toBe('idle');
    expect(methods()).toEqual(['authenticate', 'getRouterRtpCapabilities', 'createWebRtcTransport', 'createWebRtcTransport']);
    expect(rig.devices).toHaveLength(1);

    await session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });
    expect(session.state()).toBe('joined');
    expect(methods().slice(4)).toEqual(['join']);
    expect(server.sockets).toHaveLength(1);
    expect(server.requests('join')[0]).toMatchObject({ roomId: 'room-1', displayName: 'Me', rtpCapabilities: expect.any(Object) });

    // Consuming and producing use the prepared transports.
    await expect(server.request('newConsumer', newConsumer('bob', 'webcam'))).resolves.toMatchObject({ ok: true });
    await session.enableMic();
    expect(server.requests('produce')).toHaveLength(1);
    expect(server.requests('createWebRtcTransport')).toHaveLength(2);
  });

  it('join() while the preparation is still under way waits for it instead of starting again', async () => {
    const preparing = session.prepare({ token: 'tok', roomId: 'room-1' });
    await session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });
    await preparing;
    expect(server.sockets).toHaveLength(1);
    expect(server.requests('getRouterRtpCapabilities')).toHaveLength(1);
    expect(server.requests('createWebRtcTransport')).toHaveLength(2);
    expect(session.state()).toBe('joined');
  });

  it('starts over for another room or token: the prepared socket is closed', async () => {
    await session.prepare({ token: 'tok', roomId: 'room-1' });
    await session.prepare({ token: 'tok', roomId: 'room-1' }); // the same: nothing new
    expect(server.sockets).toHaveLength(1);
    await session.join({ token: 'tok', roomId: 'room-2', displayName: 'Me' });
    expect(server.sockets).toHaveLength(2);
    expect(server.sockets[0].readyState).toBe(3);
    expect(server.requests('getRouterRtpCapabilities').map((r) => r['roomId'])).toEqual(['room-1', 'room-2']);
    expect(rig.transports.filter((t) => t.closed)).toHaveLength(2);
    expect(session.state()).toBe('joined');
  });

  it('a failed preparation is redone by join(), which reports the failure', async () => {
    server.on('getRouterRtpCapabilities', () => {
      throw new SignalingError('forbidden', 'not allowed in room "room-1"');
    });
    await expect(session.prepare({ token: 'tok', roomId: 'room-1' })).resolves.toBeUndefined();
    await expect(session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' })).rejects.toMatchObject({ code: 'forbidden' });
    expect(server.requests('getRouterRtpCapabilities')).toHaveLength(2);
    expect(session.state()).toBe('failed');
  });

  it('starts afresh when the server forgot the session in a drop between prepare() and join()', async () => {
    const signaling = TestBed.inject(SignalingClient);
    await session.prepare({ token: 'tok', roomId: 'room-1' });
    server.socket.drop(1006);
    await until(() => server.requests('authenticate').length === 2 && signaling.state() === 'open');
    server.on('authenticate', () => server.session(false));
    server.socket.drop(1006);
    await until(() => server.requests('authenticate').length === 3 && signaling.state() === 'open');
    await session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });
    expect(session.state()).toBe('joined');
    expect(server.requests('getRouterRtpCapabilities')).toHaveLength(2);
    expect(server.requests('createWebRtcTransport')).toHaveLength(4);
    expect(rig.transports.filter((t) => t.closed)).toHaveLength(2);
  });

  it('keeps the preparation across a resumed drop: join() sends only join', async () => {
    const signaling = TestBed.inject(SignalingClient);
    await session.prepare({ token: 'tok', roomId: 'room-1' });
    server.socket.drop(1006);
    await until(() => server.requests('authenticate').length === 2 && signaling.state() === 'open');
    await session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });
    expect(session.state()).toBe('joined');
    expect(server.requests('getRouterRtpCapabilities')).toHaveLength(1);
    expect(server.requests('createWebRtcTransport')).toHaveLength(2);
  });

  it('leave() on the join screen closes the prepared socket', async () => {
    await session.prepare({ token: 'tok', roomId: 'room-1' });
    await session.leave();
    await until(() => server.sockets[0].readyState === 3);
    expect(TestBed.inject(SignalingClient).state()).toBe('closed');
  });
});
