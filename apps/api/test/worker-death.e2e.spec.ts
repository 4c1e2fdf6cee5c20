import type { Worker } from 'mediasoup/types';
import { WorkerPoolService } from '../src/workers/worker-pool.service';
import { backends, backendsBanner, realBackend, type Backend } from './support/backends';
import { joinRoom, produce } from './support/scenario';
import type { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

beforeAll(() => console.log(backendsBanner));

/**
 * What the client SDK does on `mediaReset`, scripted: start again at
 * getRouterRtpCapabilities, new transports, join, produce again; consumers
 * come from the server (`newConsumer`, answered, then resumed).
 */
async function rebuild(client: TestClient, roomId: string, kinds: ('audio' | 'video')[]): Promise<string[]> {
  const joined = await joinRoom(client, roomId, { send: kinds.length > 0 });
  const ids: string[] = [];
  for (const kind of kinds) ids.push(await produce(joined, kind));
  return ids;
}

describe.each(backends.map((b) => [b.name, b] as const))('a worker dying, against the %s', (_name, backend: Backend) => {
  let server: TestServer;
  const clients: TestClient[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
  });

  /** SIGKILL on the worker process for the real worker; the test double's equivalent otherwise. */
  const kill = (worker: Worker): void => {
    if (backend === realBackend) process.kill(worker.pid, 'SIGKILL');
    else (worker as unknown as { die(): void }).die();
  };

  const consumerLive = (peerId: string, producerId: string): boolean =>
    [...(server.peers.get(peerId)?.consumers.values() ?? [])].some((c) => c.producerId === producerId && !c.closed && !c.paused);

  it.each([2, 1])('with %i worker(s): the process and other rooms carry on, the room is re-created on a live worker, a replacement is spawned, media is back within 3 s', async (workers) => {
    server = await TestServer.start(backend, { MEDIASOUP_NUM_WORKERS: String(workers) });
    const mediasoup = server.app.get(WorkerPoolService);
    const client = async (sub: string): Promise<TestClient> => {
      const c = await server.client(sub);
      clients.push(c);
      return c;
    };
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map(client));
    const a = await joinRoom(alice, 'a');
    await joinRoom(bob, 'a', { send: false });
    const [micA, camA] = [await produce(a, 'audio'), await produce(a, 'video')];
    await bob.until(() => consumerLive('bob', micA) && consumerLive('bob', camA), 'bob consumes alice');
    // Room b: on the other worker when there are two, so that it must be untouched.
    const c = await joinRoom(carol, 'b');
    await joinRoom(dave, 'b', { send: false });
    const micC = await produce(c, 'audio');
    await dave.until(() => consumerLive('dave', micC), 'dave consumes carol');
    const roomA = server.rooms.get('a');
    const roomB = server.rooms.get('b');
    if (workers === 2) expect(roomA?.media?.workerIndex).not.toBe(roomB?.media?.workerIndex);
    const victim = mediasoup.workerEntries.find((w) => w.index === roomA?.media?.workerIndex);
    if (!victim) throw new Error('no worker for room a');
    const deadPid = victim.worker.pid;

    const killedAt = performance.now();
    kill(victim.worker);
    // The scripted SDK: both peers of room a rebuild on mediaReset.
    const [resetA, resetB] = await Promise.all([alice.waitForNotification('mediaReset'), bob.waitForNotification('mediaReset')]);
    expect(resetA.reason).toEqual(expect.any(String));
    expect(resetB.reason).toEqual(expect.any(String));
    const resetAt = performance.now();
    const [[mic2, cam2]] = await Promise.all([rebuild(alice, 'a', ['audio', 'video']), rebuild(bob, 'a', [])]);
    await bob.until(() => consumerLive('bob', mic2) && consumerLive('bob', cam2), 'bob consumes alice again', 5000);
    const recoveredMs = performance.now() - killedAt;
    console.log(
      `worker death (${backend.name}, ${workers} worker(s)): mediaReset after ${(resetAt - killedAt).toFixed(0)} ms, ` +
        `transports/producers/consumers re-created and consumers resumed ${recoveredMs.toFixed(0)} ms after the kill`,
    );
    expect(recoveredMs).toBeLessThan(3000);

    // The room was re-created on a live worker; a replacement worker runs in the dead one's slot.
    const newRoomA = server.rooms.get('a');
    expect(newRoomA).not.toBe(roomA);
    expect(newRoomA?.media?.router.closed).toBe(false);
    await alice.until(() => mediasoup.liveWorkerCount === workers, 'replacement worker', 5000);
    expect(mediasoup.workerEntries.map((w) => w.worker.pid)).not.toContain(deadPid);
    expect(mediasoup.workerDeaths).toBe(1);
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^confer_mediasoup_worker_deaths_total 1$/m);
    expect(metrics).toMatch(/^confer_mediasoup_worker_cpu_seconds\{worker="\d+",pid="\d+",mode="system"\} [\d.e-]+$/m);

    if (workers === 2) {
      // Room b never noticed.
      expect(server.rooms.get('b')).toBe(roomB);
      expect(roomB?.media?.router.closed).toBe(false);
      expect(carol.notificationsOf('mediaReset')).toHaveLength(0);
      expect(dave.notificationsOf('mediaReset')).toHaveLength(0);
      expect(consumerLive('dave', micC)).toBe(true);
      await carol.request('pauseProducer', { producerId: micC });
      await dave.waitForNotification('consumerPaused');
    }
    // Nobody in room a saw the other leave: they were reset, not disconnected.
    expect(bob.notificationsOf('peerLeft')).toHaveLength(0);
  });
});
