/**
 * @jest-environment-options {"customExportConditions": ["node", "require", "default"]}
 */
// (jsdom would resolve `ws` to its browser stub; these tests need the real server and client.)
import { TestBed } from '@angular/core/testing';
import { SignalingError, type RedirectDetails } from '@confer/signaling-contracts';
import { testFakeParameters } from 'mediasoup-client';
import { until } from '../../testing/fake-signaling-server';
import { MediaTestRig } from '../../testing/media-testing';
import { WsSignalingServer, wsSocketFactory } from '../../testing/ws-signaling-server';
import { ConnectionError } from '../errors';
import { SignalingClient } from '../signaling/signaling-client';
import { SIGNALING_URL, WEB_SOCKET_FACTORY } from '../tokens';
import { MediaSession } from './media-session';

/**
 * Cluster redirects and failover (issue 14) over real `ws` sockets on 127.0.0.1:
 * `entry` is what the app was given (a load balancer in production), `owner` the
 * node the room lives on.
 */
describe('MediaSession in a cluster (real ws servers on 127.0.0.1)', () => {
  let entry: WsSignalingServer;
  let owner: WsSignalingServer;
  let session: MediaSession;
  let signaling: SignalingClient;

  const redirectTo = (server: WsSignalingServer, token: string, nodeId = 'node-b'): RedirectDetails => ({ url: server.url, token, nodeId, roomId: 'room-1' });
  const redirectError = (details: RedirectDetails) => new SignalingError('redirect', `room-1 lives on ${details.nodeId}`, { ...details });
  const join = (extra: { tokenProvider?: () => Promise<string> } = {}) => session.join({ token: 'app-token', roomId: 'room-1', displayName: 'Me', ...extra });

  beforeEach(async () => {
    entry = await new WsSignalingServer().start();
    owner = await new WsSignalingServer().start();
    const rig = new MediaTestRig(entry.fake);
    TestBed.configureTestingModule({
      providers: [...rig.providers(), { provide: WEB_SOCKET_FACTORY, useValue: wsSocketFactory }, { provide: SIGNALING_URL, useValue: entry.url }],
    });
    session = TestBed.inject(MediaSession);
    signaling = TestBed.inject(SignalingClient);
  });

  afterEach(async () => {
    await session.leave();
    await entry.kill();
    await owner.kill();
  });

  it('follows a redirect from getRouterRtpCapabilities: old socket closed 1000, the redirect token, the room entered on the owner', async () => {
    entry.fake.on('getRouterRtpCapabilities', () => {
      throw redirectError(redirectTo(owner, 'owner-token'));
    });
    await join();
    expect(session.state()).toBe('joined');
    expect(signaling.serverUrl).toBe(owner.url);
    await until(() => entry.closeCodes.length === 1);
    expect(entry.closeCodes).toEqual([1000]);
    expect(owner.fake.requests('authenticate')).toEqual([{ token: 'owner-token', protocolVersion: 1 }]);
    expect(owner.fake.received.map((r) => r.method).slice(0, 5)).toEqual(['authenticate', 'getRouterRtpCapabilities', 'createWebRtcTransport', 'createWebRtcTransport', 'join']);
    expect(entry.fake.requests('join')).toHaveLength(0);
    expect(entry.fake.requests('createWebRtcTransport')).toHaveLength(0);
    await session.enableMic();
    expect(owner.fake.requests('produce')).toHaveLength(1);
  });

  it('follows a redirect answered to join (transports asked of the first node are dropped)', async () => {
    entry.fake.on('join', () => {
      throw redirectError(redirectTo(owner, 'owner-token'));
    });
    await join();
    expect(session.state()).toBe('joined');
    expect(owner.fake.requests('join')).toHaveLength(1);
    expect(owner.fake.requests('createWebRtcTransport')).toHaveLength(2);
    await session.enableCamera();
    expect(owner.fake.requests('connectWebRtcTransport')).toHaveLength(1);
    expect(entry.fake.requests('connectWebRtcTransport')).toHaveLength(0);
  });

  it('fails with ConnectionError(redirect_loop) after 3 redirects in a row', async () => {
    entry.fake.on('getRouterRtpCapabilities', () => {
      throw redirectError(redirectTo(owner, 'owner-token'));
    });
    owner.fake.on('getRouterRtpCapabilities', () => {
      throw redirectError(redirectTo(entry, 'entry-token', 'node-a'));
    });
    const error = await join().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ name: 'ConnectionError', reason: 'redirect_loop' });
    expect(session.state()).toBe('failed');
    // entry → owner → entry → owner, then the 4th redirect is refused.
    expect(entry.fake.requests('getRouterRtpCapabilities').length + owner.fake.requests('getRouterRtpCapabilities').length).toBe(4);
  });

  it('fails join() with ConnectionError(unreachable) when the redirect points at a dead node', async () => {
    const dead = owner.url;
    await owner.kill();
    entry.fake.on('getRouterRtpCapabilities', () => {
      throw new SignalingError('redirect', 'elsewhere', { url: dead, token: 't', nodeId: 'node-b', roomId: 'room-1' });
    });
    await expect(join()).rejects.toMatchObject({ name: 'ConnectionError', reason: 'unreachable' });
    expect(session.state()).toBe('failed');
  });

  it('retries cluster_unavailable after retryAfterMs, visible in clusterRetry, then joins', async () => {
    let refusals = 2;
    const seen: (number | null)[] = [];
    session.clusterRetry$.subscribe((r) => seen.push(r?.attempt ?? null));
    entry.fake.on('getRouterRtpCapabilities', () => {
      if (refusals-- > 0) throw new SignalingError('cluster_unavailable', 'redis unreachable', { retryAfterMs: 60 });
      return { rtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() };
    });
    const started = Date.now();
    await join();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    expect(session.state()).toBe('joined');
    expect(seen).toEqual([null, 1, 2, null]);
  });

  it('fails with ConnectionError(cluster_unavailable) when the cluster stays unavailable', async () => {
    entry.fake.on('getRouterRtpCapabilities', () => {
      throw new SignalingError('cluster_unavailable', 'redis unreachable', { retryAfterMs: 10 });
    });
    await expect(join()).rejects.toMatchObject({ name: 'ConnectionError', reason: 'cluster_unavailable' });
    expect(entry.fake.requests('getRouterRtpCapabilities')).toHaveLength(5); // the first and 4 retries
    expect(session.clusterRetry()).toBeNull();
    expect(session.state()).toBe('failed');
  });

  it('resumes a short drop on the current node, not the entry', async () => {
    entry.fake.on('getRouterRtpCapabilities', () => {
      throw redirectError(redirectTo(owner, 'owner-token'));
    });
    await join();
    await session.enableMic();
    owner.fake.socket.drop(1006);
    await until(() => owner.fake.requests('authenticate').length === 2);
    expect(owner.fake.requests('authenticate')[1]).toEqual({ token: 'owner-token', protocolVersion: 1, resumeSessionId: 'session-1' });
    await until(() => session.state() === 'joined' && signaling.state() === 'open');
    expect(entry.fake.requests('authenticate')).toHaveLength(1);
    expect(owner.fake.requests('produce')).toHaveLength(1); // resumed: nothing produced again
  });

  it("resumes on the node named at authenticate (nodeUrl) when it came in through the entry without a redirect", async () => {
    // The entry (a load balancer in production) handed the socket to a node that names itself.
    entry.fake.on('authenticate', (data: { resumeSessionId?: string }) => ({ ...entry.fake.session(Boolean(data.resumeSessionId)), nodeUrl: owner.url }));
    await join();
    await session.enableMic();
    expect(signaling.serverUrl).toBe(owner.url);
    entry.fake.socket.drop(1006);
    await until(() => owner.fake.requests('authenticate').length === 1);
    expect(owner.fake.requests('authenticate')[0]).toEqual({ token: 'app-token', protocolVersion: 1, resumeSessionId: 'session-1' });
    await until(() => session.state() === 'joined' && signaling.state() === 'open');
    expect(entry.fake.requests('authenticate')).toHaveLength(1);
  });

  it('fails over when the owner dies: back to the entry with a fresh token, joins again and republishes mic and camera', async () => {
    entry.fake.on('getRouterRtpCapabilities', () => {
      throw redirectError(redirectTo(owner, 'owner-token'));
    });
    const tokenProvider = jest.fn(async () => 'fresh-app-token');
    await join({ tokenProvider });
    await session.enableMic();
    await session.enableCamera();
    await session.muteMic();
    const tracks = session.localProducers().map((p) => p.track);

    // The room moved to the entry node (in production: the load balancer picks a live node).
    entry.fake.on('getRouterRtpCapabilities', () => ({ rtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() }));
    const killedAt = Date.now();
    await owner.kill();
    await until(() => session.state() === 'reconnecting');
    await until(() => session.state() === 'joined' && entry.fake.requests('produce').length === 2, 5000);
    const elapsed = Date.now() - killedAt;
    expect(elapsed).toBeLessThan(3000);
    expect(tokenProvider).toHaveBeenCalledTimes(1);
    expect(entry.fake.requests('authenticate').at(-1)).toEqual({ token: 'fresh-app-token', protocolVersion: 1 });
    expect(entry.fake.requests('join')).toHaveLength(1);
    expect(entry.fake.requests('produce').map((p) => [(p['appData'] as { source: string }).source, p['paused'] ?? false])).toEqual([
      ['mic', true],
      ['webcam', false],
    ]);
    // The same tracks: no new capture.
    expect(session.localProducers().map((p) => p.track)).toEqual(tracks);
    expect(signaling.serverUrl).toBe(entry.url);
  });

  it('falls back to the entry when the node refuses the resume (the redirect token expired)', async () => {
    entry.fake.on('getRouterRtpCapabilities', () => {
      throw redirectError(redirectTo(owner, 'owner-token'));
    });
    await join();
    await session.enableMic();
    // The owner still owns the room: the entry redirects there again, with a new token.
    entry.fake.on('getRouterRtpCapabilities', () => {
      throw redirectError(redirectTo(owner, 'owner-token-2'));
    });
    let refused = false;
    owner.fake.on('authenticate', (data: { token: string; resumeSessionId?: string }) => {
      if (data.token === 'owner-token') {
        refused = true;
        throw new SignalingError('unauthenticated', 'token expired');
      }
      return owner.fake.session(false);
    });
    owner.fake.socket.drop(1006);
    await until(() => refused && session.state() === 'joined' && owner.fake.requests('produce').length === 2, 5000);
    expect(entry.fake.requests('authenticate').at(-1)).toEqual({ token: 'app-token', protocolVersion: 1 });
    expect(owner.fake.requests('authenticate').at(-1)).toEqual({ token: 'owner-token-2', protocolVersion: 1 });
    expect(signaling.serverUrl).toBe(owner.url);
  });

  it('moves at serverShutdown.moveTo without waiting for the close, rebuilding media on the new node', async () => {
    await join();
    await session.enableMic();
    await session.enableCamera();
    expect(entry.fake.requests('produce')).toHaveLength(2);
    entry.fake.notify('serverShutdown', { reason: 'draining', drainMs: 30_000, moveTo: redirectTo(owner, 'move-token') });
    await until(() => session.state() === 'joined' && owner.fake.requests('produce').length === 2);
    expect(owner.fake.requests('authenticate')).toEqual([{ token: 'move-token', protocolVersion: 1 }]);
    expect(owner.fake.requests('join')).toHaveLength(1);
    await until(() => entry.closeCodes.length === 1);
    expect(entry.closeCodes).toEqual([1000]);
    expect(signaling.serverUrl).toBe(owner.url);
  });
});

