import { EnvironmentInjector, createEnvironmentInjector } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { FakeSignalingServer, until } from '../../testing/fake-signaling-server';
import { MediaTestRig } from '../../testing/media-testing';
import { ChatService } from '../chat/chat.service';
import { SignalingClient } from '../signaling/signaling-client';
import { WEB_SOCKET_FACTORY } from '../tokens';
import { MediaSession, provideMediaSession } from './media-session';

describe('several MediaSessions in one app', () => {
  let serverA: FakeSignalingServer;
  let serverB: FakeSignalingServer;
  let rig: MediaTestRig;
  let child: EnvironmentInjector;
  let a: MediaSession;
  let b: MediaSession;

  beforeEach(() => {
    serverA = new FakeSignalingServer();
    serverB = new FakeSignalingServer();
    rig = new MediaTestRig(serverA);
    TestBed.configureTestingModule({ providers: rig.providers() });
    // The app's session at root, and a second one with its own providers (as a component's would be).
    a = TestBed.inject(MediaSession);
    child = createEnvironmentInjector([...provideMediaSession(), { provide: WEB_SOCKET_FACTORY, useValue: serverB.factory }], TestBed.inject(EnvironmentInjector));
    b = child.get(MediaSession);
  });

  afterEach(async () => {
    await a.leave();
    if (!child.destroyed) child.destroy();
  });

  const joinA = () => a.join({ token: 'tok-a', roomId: 'room-a', displayName: 'Ada' });
  const joinB = () => b.join({ token: 'tok-b', roomId: 'room-b', displayName: 'Bea' });

  it('are separate objects with their own signaling client and chat', () => {
    expect(b).not.toBe(a);
    expect(child.get(SignalingClient)).not.toBe(TestBed.inject(SignalingClient));
    expect(child.get(ChatService)).not.toBe(TestBed.inject(ChatService));
  });

  it('one joins and produces; the other stays idle with no socket and no media', async () => {
    await joinA();
    await a.enableMic();
    expect(a.state()).toBe('joined');
    expect(a.localProducers()).toHaveLength(1);
    expect(b.state()).toBe('idle');
    expect(b.localProducers()).toEqual([]);
    expect(b.remotePeers()).toEqual([]);
    expect(serverB.sockets).toHaveLength(0);
    await expect(b.enableMic()).rejects.toMatchObject({ name: 'InvalidStateError' });
  });

  it('both join; one leaving or failing leaves the other in its room with its media', async () => {
    await joinA();
    await joinB();
    await b.enableCamera();
    const bSend = rig.transport('send'); // b joined last
    expect(serverA.requests('join')[0]).toMatchObject({ roomId: 'room-a' });
    expect(serverB.requests('join')[0]).toMatchObject({ roomId: 'room-b' });

    serverA.notify('mediaReset', { reason: 'worker died' });
    await until(() => serverA.requests('join').length === 2 && a.state() === 'joined');
    expect(serverB.requests('join')).toHaveLength(1);

    await a.leave();
    expect(a.state()).toBe('closed');
    expect(b.state()).toBe('joined');
    expect(b.localProducers().map((p) => p.source)).toEqual(['webcam']);
    expect(b.localProducers()[0].track.readyState).toBe('live');
    expect(serverB.requests('leave')).toEqual([]);
    expect(bSend.closed).toBe(false);
  });

  it('destroying its injector ends a session: media closed, socket closed', async () => {
    await joinB();
    await b.enableMic();
    const { track } = b.localProducers()[0];
    child.destroy();
    expect(b.state()).toBe('closed');
    expect(track.readyState).toBe('ended');
    expect(serverB.socket.readyState).toBe(3);
  });
});
