import { SignJWT } from 'jose';
import { isRedirectDetails, SignalingError } from '@confer/signaling-contracts';
import { redisAvailability, startRedis, type RedisServer } from '../src/testing/redis-server';
import { spawnApi, type ApiProcess } from './support/api-process';
import { realWorker } from './support/backends';
import { joinRoom, produce, type Joined } from './support/scenario';
import { TestClient } from './support/test-client';
import { TEST_SECRET } from './support/test-server';

/**
 * Rooms across nodes (issue 14): a 1→N broadcast whose viewers are served by
 * another node, the room's producers piped there with PipeTransports over the
 * node bus. Real redis-server, two API node processes, `ws` clients; on the
 * test double always and on the real worker when there is one (the worker
 * then really creates the pipe transports, piped producers and consumers).
 */
const CLUSTER_SECRET = 'cluster-secret-0123456789abcdef0123456789';

const redis = redisAvailability();
const backends = ['fake', ...(realWorker.path ? ['real'] : [])];
if (!redis.available) console.log(`cluster edge suite: SKIPPED — ${redis.why}`);
if (!realWorker.path) console.log(`cluster edge suite: real worker variant SKIPPED — ${realWorker.detail}`);

const token = (sub: string, role: 'host' | 'participant' | 'viewer'): Promise<string> =>
  new SignJWT({ name: sub, role, rooms: ['*'], grants: { canPublish: role !== 'viewer', canSubscribe: true, canPublishData: role !== 'viewer', roomAdmin: role === 'host' } })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(TEST_SECRET));

function startNode(id: string, redisUrl: string, backend: string): Promise<ApiProcess> {
  return spawnApi(
    ['-r', '@swc-node/register', 'apps/api/test/support/cluster-node.ts'],
    {
      SWC_NODE_PROJECT: 'apps/api/tsconfig.serve.json',
      CLUSTER_TEST_BACKEND: backend,
      JWT_SECRET: TEST_SECRET,
      REDIS_URL: redisUrl,
      CLUSTER_SECRET,
      NODE_ID: id,
      // Two peers on the room's node (the host and one viewer's stand-in), then viewers go to the edge.
      CLUSTER_EDGE_VIEWERS_AT: '2',
      MEDIASOUP_NUM_WORKERS: '1',
      RTC_LISTEN_IP: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    { readyTimeoutMs: 120_000 },
  );
}

/** Connects to `url` and runs the mediasoup-client flow into `roomId`, following redirects; returns where it ended. */
async function enter(url: string, tok: string, roomId: string, opts: { send?: boolean } = {}): Promise<{ joined: Joined; url: string; redirected: boolean }> {
  let at = url;
  let t = tok;
  for (let hop = 0; hop < 3; hop++) {
    const client = await TestClient.authenticated(at, t);
    try {
      return { joined: await joinRoom(client, roomId, { send: opts.send ?? false }), url: at, redirected: hop > 0 };
    } catch (error) {
      client.socket.close(1000);
      if (!(error instanceof SignalingError) || error.code !== 'redirect' || !isRedirectDetails(error.details)) throw error;
      at = error.details.url;
      t = error.details.token;
    }
  }
  throw new Error('redirect loop');
}

const describeEdges = redis.available ? describe.each(backends) : describe.skip.each(backends);

describeEdges('rooms across nodes (%s): viewers on an edge node, producers piped from the room node', (backend) => {
  let server: RedisServer;
  let a: ApiProcess;
  let b: ApiProcess;
  const clients: TestClient[] = [];
  const ws = (api: ApiProcess): string => `ws://127.0.0.1:${api.port}/ws`;

  beforeAll(async () => {
    server = await startRedis();
    [a, b] = await Promise.all([startNode('edge-a', server.url, backend), startNode('edge-b', server.url, backend)]);
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.socket.close(1000);
    for (const api of [a, b]) if (api && api.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
    await Promise.all([a, b].filter(Boolean).map((api) => api.exited));
    await server?.stop();
  }, 60_000);

  it('a viewer reaching another node is served there: it sees the host, consumes the piped producers, chats both ways; past the threshold the room node sends viewers to the edge; a moderator removes an edge viewer; the host leaving ends it for the edge', async () => {
    const roomId = `bc-${backend}`;
    const host = await enter(ws(a), await token('host', 'host'), roomId, { send: true });
    clients.push(host.joined.client);
    // Placement may put the room on either node (a node busy starting up is skipped): the other is the edge.
    const [roomNode, edgeNode] = host.url === ws(a) ? [a, b] : [b, a];
    const producerIds = [await produce(host.joined, 'audio'), await produce(host.joined, 'video')];

    // A viewer through the edge node: not redirected, served by b as an edge of the room.
    const v1 = await enter(ws(edgeNode), await token('v1', 'viewer'), roomId);
    clients.push(v1.joined.client);
    expect(v1.redirected).toBe(false);
    const c1 = v1.joined.client;
    await c1.until(() => c1.notificationsOf('peerJoined').some((p) => p.id === 'host'), 'the edge viewer sees the host', 15_000);
    await c1.until(() => c1.serverRequestsOf('newConsumer').length === 2, 'two piped producers consumed on the edge', 15_000);
    const offered = c1.serverRequestsOf('newConsumer');
    expect(offered.map((o) => o.producerId).sort()).toEqual([...producerIds].sort());
    expect(offered.every((o) => o.peerId === 'host')).toBe(true);
    const hc = host.joined.client;
    await hc.until(() => hc.notificationsOf('peerJoined').some((p) => p.id === 'v1' && p.role === 'viewer'), 'the host sees the edge viewer', 15_000);

    // Chat both ways.
    await c1.request('chatMessage', { text: 'hello from the edge' });
    await hc.until(() => hc.notificationsOf('chatMessage').some((m) => m.text === 'hello from the edge' && m.peerId === 'v1'), 'host gets the viewer chat', 15_000);
    await hc.request('chatMessage', { text: 'hello from the stage' });
    await c1.until(() => c1.notificationsOf('chatMessage').some((m) => m.text === 'hello from the stage' && m.peerId === 'host'), 'viewer gets the host chat', 15_000);
    // No file transfers for edge viewers (they relay through the room's node only for chat).
    expect((await c1.requestError('fileOffer', { to: 'host', name: 'x.txt', size: 1, mimeType: 'text/plain', sha256: 'a'.repeat(64) })).code).toBe('forbidden');

    // The room node has the host and v1's stand-in: a viewer reaching it now is sent to the edge.
    const v2 = await enter(ws(roomNode), await token('v2', 'viewer'), roomId);
    clients.push(v2.joined.client);
    expect(v2.redirected).toBe(true);
    expect(v2.url).toBe(ws(edgeNode));
    await v2.joined.client.until(() => v2.joined.client.serverRequestsOf('newConsumer').length === 2, 'second edge viewer consumes', 15_000);
    // A participant reaching the edge node goes to the room's node.
    const p1 = await enter(ws(edgeNode), await token('p1', 'participant'), roomId);
    clients.push(p1.joined.client);
    expect(p1.url).toBe(ws(roomNode));

    // A moderator's removal reaches the edge viewer, and the ban holds on the edge node.
    await hc.request('removeParticipant', { peerId: 'v1', reason: 'test' });
    await c1.until(() => c1.notificationsOf('removed').length === 1, 'the edge viewer is removed', 15_000);
    await hc.until(() => hc.notificationsOf('peerLeft').some((p) => p.peerId === 'v1'), 'host sees v1 go', 15_000);
    const again = await TestClient.authenticated(ws(edgeNode), await token('v1', 'viewer'));
    clients.push(again);
    expect((await again.requestError('getRouterRtpCapabilities', { roomId })).code).toBe('forbidden');

    // A closed producer closes the edge viewers' consumers.
    await hc.request('closeProducer', { producerId: producerIds[0] });
    const c2 = v2.joined.client;
    await c2.until(() => c2.notificationsOf('consumerClosed').length >= 1, 'edge consumer closed with its producer', 15_000);

    // Everyone on the room node leaves: the room closes there, and on the edge.
    p1.joined.client.socket.close(1000);
    hc.socket.close(1000);
    await c2.until(() => c2.notificationsOf('meetingEnded').length === 1, 'edge viewers told the meeting is over', 15_000);
  }, 120_000);

  it('an edge node drained with SIGTERM sends its viewers back to the room node (serverShutdown.moveTo), where they get the media again', async () => {
    const roomId = `drain-${backend}`;
    const host = await enter(ws(a), await token('host2', 'host'), roomId, { send: true });
    clients.push(host.joined.client);
    const [roomNode, edgeNode, roomNodeId] = host.url === ws(a) ? [a, b, 'edge-a'] : [b, a, 'edge-b'];
    const producerId = await produce(host.joined, 'audio');
    const viewer = await enter(ws(edgeNode), await token('v3', 'viewer'), roomId);
    clients.push(viewer.joined.client);
    expect(viewer.url).toBe(ws(edgeNode));
    const vc = viewer.joined.client;
    await vc.until(() => vc.serverRequestsOf('newConsumer').some((o) => o.producerId === producerId), 'consuming on the edge', 15_000);
    edgeNode.child.kill('SIGTERM');
    await vc.until(() => vc.notificationsOf('serverShutdown').length > 0, 'serverShutdown from the edge', 15_000);
    const moveTo = vc.notificationsOf('serverShutdown')[0].moveTo;
    expect(moveTo).toMatchObject({ nodeId: roomNodeId, roomId, url: ws(roomNode) });
    vc.socket.close(1000);
    // Only the room node is left: it serves the viewer itself.
    const moved = await enter(moveTo?.url as string, moveTo?.token as string, roomId);
    clients.push(moved.joined.client);
    expect(moved.url).toBe(ws(roomNode));
    const mc = moved.joined.client;
    await mc.until(() => mc.serverRequestsOf('newConsumer').some((o) => o.producerId === producerId), 'consuming on the room node', 15_000);
    expect((await edgeNode.exited).code).toBe(0);
  }, 120_000);
});
