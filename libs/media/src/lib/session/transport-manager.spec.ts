import { SignalingError } from '@confer/signaling-contracts';
import { testFakeParameters } from 'mediasoup-client';
import { FakeSignalingServer, settle, until } from '../../testing/fake-signaling-server';
import { MediaTestRig, connectParts, setIceState, type ConnectedParts } from '../../testing/media-testing';
import type { SessionContext } from './session-context';
import type { SessionStore } from './session-store';
import type { TransportManager } from './transport-manager';

describe('TransportManager (ICE restart watchdog)', () => {
  let server: FakeSignalingServer;
  let rig: MediaTestRig;
  let store: SessionStore;
  let context: SessionContext;
  let transports: TransportManager;

  let parts: ConnectedParts;

  beforeEach(async () => {
    server = new FakeSignalingServer();
    rig = new MediaTestRig(server);
    parts = await connectParts(rig, { iceDisconnectedGraceMs: 40, iceRestartMaxDelayMs: 100 });
    ({ store, context, transports } = parts);
    await transports.loadDevice(testFakeParameters.generateRouterRtpCapabilities());
  });

  afterEach(() => parts.dispose());

  it('creates transports with the server parameters, mirrors their state, and reuses a Device for the same capabilities', async () => {
    const send = await transports.create('send');
    expect(server.requests('createWebRtcTransport')).toEqual([{ direction: 'send', sctpCapabilities: expect.any(Object) }]);
    expect(store.transports.value).toEqual({ send: 'new', recv: 'none' });
    setIceState(send, 'connected');
    expect(store.transports.value.send).toBe('connected');
    const first = transports.device;
    transports.close();
    expect(send.closed).toBe(true);
    await transports.loadDevice(testFakeParameters.generateRouterRtpCapabilities());
    expect(transports.device).toBe(first);
    expect(rig.devices).toHaveLength(1);
  });

  it('restarts ICE after the disconnected grace period and reports recovering until connected again', async () => {
    const recv = await transports.create('recv');
    const restart = jest.spyOn(recv.handler, 'restartIce');
    const changes = jest.fn();
    transports.ice.changes$.subscribe(changes);
    setIceState(recv, 'connected');
    setIceState(recv, 'disconnected');
    await settle(2);
    expect(server.requests('restartIce')).toEqual([]);
    await until(() => restart.mock.calls.length === 1);
    expect(server.requests('restartIce')).toEqual([{ transportId: recv.id }]);
    expect(transports.ice.recovering).toBe(true);
    setIceState(recv, 'connected');
    expect(transports.ice.recovering).toBe(false);
    expect(changes).toHaveBeenCalled();
  });

  it('retries a restart the server failed, with a backoff', async () => {
    const recv = await transports.create('recv');
    let failures = 1;
    server.on('restartIce', () => {
      if (failures-- > 0) throw new SignalingError('internal', 'busy');
      return { iceParameters: testFakeParameters.generateTransportRemoteParameters().iceParameters };
    });
    setIceState(recv, 'failed');
    await until(() => server.requests('restartIce').length === 1);
    await settle(5);
    expect(server.requests('restartIce')).toHaveLength(1); // waits at least 1 s before the retry
    await until(() => server.requests('restartIce').length === 2, 2500);
  });

  it('reports a transport the server forgot as lost (a rebuild takes over) instead of retrying, unless already rebuilding', async () => {
    const send = await transports.create('send');
    server.on('restartIce', () => {
      throw new SignalingError('not_found', 'no such transport');
    });
    const lost: string[] = [];
    transports.ice.transportLost$.subscribe((reason) => lost.push(reason));
    setIceState(send, 'failed');
    await until(() => lost.length === 1);
    expect(lost[0]).toContain('no such transport');

    context.rebuilding = true;
    setIceState(send, 'connected');
    setIceState(send, 'failed');
    await until(() => server.requests('restartIce').length === 2);
    await settle(5);
    expect(lost).toHaveLength(1);
  });

  it('stops watching closed transports: no restart after close()', async () => {
    const send = await transports.create('send');
    setIceState(send, 'disconnected');
    transports.close();
    await new Promise((r) => setTimeout(r, 80));
    expect(server.requests('restartIce')).toEqual([]);
  });
});
