import type { Consumer, Worker } from 'mediasoup/types';
import { WorkerPoolService } from '../src/workers/worker-pool.service';
import { backends, backendsBanner, realBackend, type Backend } from './support/backends';
import { joinRoom, produce } from './support/scenario';
import type { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

beforeAll(() => console.log(backendsBanner));

describe.each(backends.map((b) => [b.name, b] as const))('a room past ROOM_PIPE_CONSUMER_THRESHOLD, against the %s', (_name, backend: Backend) => {
  let server: TestServer;
  const clients: TestClient[] = [];

  beforeEach(async () => {
    server = await TestServer.start(backend, { MEDIASOUP_NUM_WORKERS: '2', ROOM_PIPE_CONSUMER_THRESHOLD: '1' });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
  });

  const client = async (sub: string): Promise<TestClient> => {
    const c = await server.client(sub);
    clients.push(c);
    return c;
  };
  const consumerOf = (peerId: string, producerId: string): Consumer | undefined =>
    [...(server.peers.get(peerId)?.consumers.values() ?? [])].find((c) => c.producerId === producerId && !c.closed);
  const consumerLive = (peerId: string, producerId: string): boolean => {
    const c = consumerOf(peerId, producerId);
    return Boolean(c && !c.paused);
  };
  const workerAt = (index: number): Worker => {
    const entry = server.app.get(WorkerPoolService).workerEntries.find((w) => w.index === index);
    if (!entry) throw new Error(`no worker ${index}`);
    return entry.worker;
  };

  /** Alice sends, Bob receives on the main router (2 consumers, past the threshold of 1), Carol joins after. */
  async function threePeers(opts: { data?: boolean } = {}) {
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map(client));
    const a = await joinRoom(alice, 'p', { data: opts.data });
    const mic = await produce(a, 'audio');
    const cam = await produce(a, 'video');
    await joinRoom(bob, 'p', { send: false, data: opts.data });
    await bob.until(() => consumerLive('bob', mic) && consumerLive('bob', cam), 'bob consumes alice');
    const room = server.rooms.get('p');
    if (!room?.media) throw new Error('room p has no media');
    expect(room.extraRouters.size).toBe(0);
    return { alice, bob, carol, a, mic, cam, room, main: room.media };
  }

  it('a receiver past the threshold lands on the other worker, consumes piped producers (paused until answered); pause and close follow the original; nothing is left on any worker', async () => {
    const { alice, bob, carol, a, mic, cam, room, main } = await threePeers({ data: true });
    const { dataProducerId } = await alice.request('produceData', { transportId: a.sendTransportId ?? '', sctpStreamParameters: { streamId: 0, ordered: true }, label: 'chat' });
    await bob.until(() => bob.serverRequestsOf('newDataConsumer').length === 1, 'bob newDataConsumer');

    // The server's consumer must still be paused when the client is asked to create its own.
    const pausedWhenOffered: boolean[] = [];
    carol.onServerRequest('newConsumer', (offer) => {
      pausedWhenOffered.push(server.peers.get('carol')?.consumers.get(offer.id)?.paused === true);
      return {};
    });
    const c = await joinRoom(carol, 'p', { send: false, data: true });
    await carol.until(() => consumerLive('carol', mic) && consumerLive('carol', cam), 'carol consumes alice');
    await carol.until(() => carol.serverRequestsOf('newDataConsumer').length === 1, 'carol newDataConsumer');
    expect(pausedWhenOffered).toEqual([true, true]);

    // Carol's recv transport, consumers and data consumer are on the room's router on the other worker.
    expect(room.extraRouters.size).toBe(1);
    const [[extraIndex, extraSlot]] = [...room.extraRouters];
    const extra = await extraSlot;
    expect(extraIndex).not.toBe(main.workerIndex);
    expect(extra.workerIndex).toBe(extraIndex);
    const carolRecv = server.peers.get('carol')?.transports.get(c.recvTransportId ?? '');
    if (!carolRecv) throw new Error('carol has no recv transport');
    expect(carolRecv.appData.workerIndex).toBe(extraIndex);
    expect((await workerAt(extraIndex).dump()).routerIds).toContain(extra.router.id);
    expect((await workerAt(main.workerIndex).dump()).routerIds).not.toContain(extra.router.id);
    expect((await extra.router.dump()).transportIds).toContain(carolRecv.id);
    const recvDump = await carolRecv.dump();
    expect([...recvDump.consumerIds].sort()).toEqual([...(server.peers.get('carol')?.consumers.keys() ?? [])].sort());
    expect(recvDump.consumerIds).toHaveLength(2);
    expect(recvDump.dataConsumerIds).toHaveLength(1);
    // Bob stays on the main router, with the producers.
    const bobRecv = server.peers.get('bob')?.recvTransport();
    expect(bobRecv?.appData.workerIndex).toBe(main.workerIndex);
    expect((await main.router.dump()).transportIds).toContain(bobRecv?.id);
    // One pipe transport pair between the two routers, shared by the three pipes.
    expect((await main.router.dump()).transportIds).toHaveLength(4); // alice send + recv, bob recv, pipe
    expect((await extra.router.dump()).transportIds).toHaveLength(2); // carol recv, pipe
    if (server.fake) expect(server.fake.dump().pipeTransport).toBe(2);
    // Routers per worker: one each.
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    for (const index of [main.workerIndex, extraIndex]) expect(metrics).toMatch(new RegExp(`^confer_mediasoup_worker_routers\\{worker="${index}"\\} 1$`, 'm'));

    // Dave lands on the same extra router (one per worker per room) and consumes the pipes already made.
    const dave = await client('dave');
    await joinRoom(dave, 'p', { send: false });
    await dave.until(() => consumerLive('dave', mic) && consumerLive('dave', cam), 'dave consumes the piped producers');
    expect(room.extraRouters.size).toBe(1);
    expect(server.peers.get('dave')?.recvTransport()?.appData.workerIndex).toBe(extraIndex);

    // Pause and close of the original reach Carol through the pipe.
    const carolMic = consumerOf('carol', mic)?.id;
    await alice.request('pauseProducer', { producerId: mic });
    await carol.waitForNotification('consumerPaused', (n) => n.consumerId === carolMic);
    const carolCam = consumerOf('carol', cam)?.id ?? '';
    const bobCam = consumerOf('bob', cam)?.id;
    await alice.request('closeProducer', { producerId: cam });
    await carol.waitForNotification('consumerClosed', (n) => n.consumerId === carolCam);
    await bob.waitForNotification('consumerClosed', (n) => n.consumerId === bobCam);
    await carol.until(() => !server.peers.get('carol')?.consumers.has(carolCam), "carol's camera consumer removed");
    const carolData = carol.serverRequestsOf('newDataConsumer')[0].id;
    await alice.request('closeDataProducer', { dataProducerId });
    await carol.waitForNotification('dataConsumerClosed', (n) => n.dataConsumerId === carolData);

    // A producer made now is piped once for both receivers on the extra router.
    const cam2 = await produce(a, 'video');
    await carol.until(() => consumerLive('carol', cam2) && consumerLive('dave', cam2), 'carol and dave consume the new camera');
    expect((await carolRecv.dump()).consumerIds).toContain(consumerOf('carol', cam2)?.id);
    expect((await extra.router.dump()).transportIds).toHaveLength(3); // carol recv, dave recv, the same pipe

    // Everyone leaves: no router, transport (pipe ones included), producer or consumer on any worker.
    await Promise.all(clients.splice(0).map((cl) => cl.close()));
    await server.expectClean();
  });

  it("the death of the extra router's worker resets the room (mediaReset to every peer), and it is re-created", async () => {
    const { alice, bob, carol, main } = await threePeers();
    await joinRoom(carol, 'p', { send: false });
    const room = server.rooms.get('p');
    await carol.until(() => (server.peers.get('carol')?.consumers.size ?? 0) === 2, 'carol consumes alice');
    const [extraIndex] = [...(room?.extraRouters.keys() ?? [])];
    expect(extraIndex).not.toBe(main.workerIndex);

    const victim = workerAt(extraIndex);
    if (backend === realBackend) process.kill(victim.pid, 'SIGKILL');
    else (victim as unknown as { die(): void }).die();
    await Promise.all([alice, bob, carol].map((cl) => cl.waitForNotification('mediaReset')));
    expect(main.router.closed).toBe(true);
    expect(server.rooms.get('p')).toBeUndefined();

    // The scripted SDK starts again; the room comes back on a live worker.
    const a = await joinRoom(alice, 'p');
    const mic = await produce(a, 'audio');
    await joinRoom(bob, 'p', { send: false });
    await bob.until(() => consumerLive('bob', mic), 'bob consumes alice again');
    expect(server.rooms.get('p')?.media?.router.closed).toBe(false);

    await Promise.all(clients.splice(0).map((cl) => cl.close()));
    await server.expectClean();
  });
});
