import { SignJWT } from 'jose';
import { isRedirectDetails, PROTOCOL_VERSION, SignalingError, type PeerInfo, type RedirectDetails } from '@confer/signaling-contracts';
import { redisAvailability, startRedis, type RedisServer } from '../src/testing/redis-server';
import { spawnApi, type ApiProcess } from './support/api-process';
import { TestClient } from './support/test-client';
import { TEST_SECRET } from './support/test-server';

/**
 * Scale-out (issue 14) with the real parts: a real redis-server on loopback and
 * three API nodes as separate processes (the test double as mediasoup, so it
 * runs on every machine), clients as real `ws` sockets that follow redirects
 * the way the SDK does.
 */
const CLUSTER_SECRET = 'cluster-secret-0123456789abcdef0123456789';
const API_KEY = 'ops';
const API_SECRET = 'api-secret-0123456789abcdef0123456789abcdef';
// The defaults (CLUSTER_HEARTBEAT_MS, CLUSTER_NODE_TTL_MS): the failover time measured is the one users get.
const HEARTBEAT_MS = 1000;
const NODE_TTL_MS = 3000;

const redis = redisAvailability();
const describeCluster = redis.available ? describe : describe.skip;
if (!redis.available) console.log(`cluster suite: SKIPPED — ${redis.why}`);

const token = (sub: string, extra: Record<string, unknown> = {}): Promise<string> =>
  new SignJWT({ name: sub, rooms: ['*'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: true }, ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(TEST_SECRET));

const apiToken = (): Promise<string> =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(API_KEY).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(API_SECRET));

interface Node {
  id: string;
  api: ApiProcess;
  ws: string;
}

function startNode(id: string, redisUrl: string, env: Record<string, string> = {}): Promise<ApiProcess> {
  return spawnApi(['-r', '@swc-node/register', 'apps/api/test/support/cluster-node.ts'], {
    SWC_NODE_PROJECT: 'apps/api/tsconfig.serve.json',
    JWT_SECRET: TEST_SECRET,
    REDIS_URL: redisUrl,
    CLUSTER_SECRET,
    NODE_ID: id,
    CLUSTER_HEARTBEAT_MS: String(HEARTBEAT_MS),
    CLUSTER_NODE_TTL_MS: String(NODE_TTL_MS),
    API_KEYS: `${API_KEY}:${API_SECRET}`,
    LOG_LEVEL: 'warn',
    SHUTDOWN_DRAIN_MS: '5000',
    RESUME_GRACE_MS: '2000',
    ...env,
  }, { readyTimeoutMs: 120_000 });
}

/** A client in a room, wherever the cluster put it. */
interface Entered {
  client: TestClient;
  /** The URL it ended up on. */
  url: string;
  redirects: RedirectDetails[];
  /** Who was in the room at join. */
  peers: PeerInfo[];
}

/**
 * Connects to `url` and enters `roomId` (getRouterRtpCapabilities, then join),
 * following `redirect` answers as the SDK does: reconnect to details.url,
 * authenticate with details.token, ask again.
 */
async function enter(url: string, tok: string, roomId: string, name = 'x'): Promise<Entered> {
  const redirects: RedirectDetails[] = [];
  let at = url;
  let t = tok;
  for (let hop = 0; hop < 3; hop++) {
    const client = await TestClient.authenticated(at, t);
    try {
      await client.request('getRouterRtpCapabilities', { roomId });
      const joined = await client.request('join', { roomId, displayName: name, device: { flag: 'test', name: 'jest' } });
      return { client, url: at, redirects, peers: joined.peers };
    } catch (error) {
      client.socket.close(1000);
      if (!(error instanceof SignalingError) || error.code !== 'redirect' || !isRedirectDetails(error.details)) throw error;
      redirects.push(error.details);
      at = error.details.url;
      t = error.details.token;
    }
  }
  throw new Error('redirect loop');
}

async function cluster(httpUrl: string): Promise<{ nodeId: string; redisUp: boolean; nodes: { id: string; self: boolean; placedRooms: string[]; peers: number; cpu: number; draining: boolean; url: string }[] }> {
  const res = await fetch(`${httpUrl}/api/v1/cluster`, { headers: { authorization: `Bearer ${await apiToken()}` } });
  expect(res.status).toBe(200);
  return res.json() as never;
}

async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const wsOf = (api: ApiProcess): string => `ws://127.0.0.1:${api.port}/ws`;

describeCluster('cluster: three nodes on one Redis', () => {
  let server: RedisServer;
  const nodes: Node[] = [];
  const clients: TestClient[] = [];
  const node = (id: string): Node => nodes.find((n) => n.id === id) as Node;
  const track = (e: Entered): Entered => (clients.push(e.client), e);

  beforeAll(async () => {
    server = await startRedis();
    // node-b carries one peer at most: placement must skip it once it has one.
    const env: Record<string, Record<string, string>> = { 'node-a': {}, 'node-b': { NODE_MAX_PEERS: '1' }, 'node-c': { NODE_REGION: 'eu' } };
    const started = await Promise.all(Object.keys(env).map((id) => startNode(id, server.url, env[id])));
    started.forEach((api, i) => nodes.push({ id: ['node-a', 'node-b', 'node-c'][i], api, ws: wsOf(api) }));
    await eventually(async () => (await cluster(nodes[0].api.url)).nodes.length === 3, 'three nodes registered');
    // Placement counts a node whose CPU is over 85 % of a core as busy: wait for start-up (compiling) to be over.
    await eventually(async () => (await cluster(nodes[0].api.url)).nodes.every((n) => n.cpu < 0.5), 'nodes idle after start-up', 60_000);
  }, 240_000);

  afterEach(() => {
    for (const c of clients.splice(0)) c.socket.close(1000);
  });

  afterAll(async () => {
    for (const n of nodes) if (n.api.child.exitCode === null && n.api.child.signalCode === null) n.api.child.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.api.exited));
    await server?.stop();
  });

  it('registers every node with its address, region and load; any node answers for the cluster', async () => {
    const views = await Promise.all(nodes.map((n) => cluster(n.api.url)));
    for (const [i, view] of views.entries()) {
      expect(view.redisUp).toBe(true);
      expect(view.nodeId).toBe(nodes[i].id);
      expect(view.nodes.map((n) => n.id)).toEqual(['node-a', 'node-b', 'node-c']);
      expect(view.nodes.find((n) => n.self)?.id).toBe(nodes[i].id);
    }
    expect(views[0].nodes.map((n) => n.url)).toEqual(nodes.map((n) => n.ws));
  });

  it('places a room on one node; a client reaching another node is redirected there with a token only that node accepts, and both see and chat with each other', async () => {
    const first = track(await enter(node('node-a').ws, await token('alice'), 'cx-1', 'Alice'));
    expect(first.redirects).toEqual([]);
    // Each node names its own URL at authenticate (where a dropped session resumes).
    expect(first.client.auth?.nodeUrl).toBe(node('node-a').ws);
    const second = track(await enter(node('node-b').ws, await token('bob'), 'cx-1', 'Bob'));
    expect(second.redirects).toHaveLength(1);
    expect(second.redirects[0]).toMatchObject({ nodeId: 'node-a', roomId: 'cx-1', url: node('node-a').ws });
    expect(second.url).toBe(node('node-a').ws);
    await first.client.until(() => first.client.notificationsOf('peerJoined').some((p) => p.id === 'bob'), 'Alice sees Bob');
    await first.client.request('chatMessage', { text: 'hello from node-a' });
    await second.client.until(() => second.client.notificationsOf('chatMessage').some((m) => m.text === 'hello from node-a'), 'Bob gets the chat');
    const view = await cluster(node('node-c').api.url);
    expect(view.nodes.find((n) => n.id === 'node-a')?.placedRooms).toContain('cx-1');

    // The server API answers for the room from any node: the call is forwarded to the owner.
    const auth = { authorization: `Bearer ${await apiToken()}` };
    const listed = await fetch(`${node('node-c').api.url}/api/v1/rooms/cx-1/participants`, { headers: auth });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('confer-forwarded-by')).toBe('node-c -> node-a');
    expect(((await listed.json()) as { peerId: string }[]).map((p) => p.peerId).sort()).toEqual(['alice', 'bob']);
    const sent = await fetch(`${node('node-b').api.url}/api/v1/rooms/cx-1/messages`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'from the portal' }),
    });
    expect(sent.status).toBe(201);
    await first.client.until(() => first.client.notificationsOf('chatMessage').some((m) => m.text === 'from the portal'), 'portal message through node-b');

    // Per-node metrics: node-b sent Bob away, sees three nodes and Redis up.
    const metrics = await (await fetch(`${node('node-b').api.url}/metrics`)).text();
    expect(metrics).toMatch(/^confer_cluster_redirects [1-9]/m);
    expect(metrics).toMatch(/^confer_cluster_nodes 3$/m);
    expect(metrics).toMatch(/^confer_cluster_redis_up 1$/m);
    expect(metrics).toContain('confer_cluster_node{node="node-b",region="default"} 1');

    // The redirect token: for node-a and room cx-1 only.
    const redirectToken = second.redirects[0].token;
    const elsewhere = await TestClient.connect(node('node-c').ws);
    clients.push(elsewhere);
    expect((await elsewhere.requestError('authenticate', { token: redirectToken, protocolVersion: PROTOCOL_VERSION })).code).toBe('unauthenticated');
    const tampered = `${redirectToken.slice(0, -4)}AAAA`;
    const other = await TestClient.connect(node('node-a').ws);
    clients.push(other);
    expect((await other.requestError('authenticate', { token: tampered, protocolVersion: PROTOCOL_VERSION })).code).toBe('unauthenticated');
    const holder = await TestClient.authenticated(node('node-a').ws, redirectToken);
    clients.push(holder);
    expect((await holder.requestError('getRouterRtpCapabilities', { roomId: 'cx-other' })).code).toBe('forbidden');
  });

  it('a full node gets no new rooms: they go to the least loaded live node; an idle node keeps the rooms it is asked for', async () => {
    const idle = track(await enter(node('node-a').ws, await token('dave'), 'cx-2', 'Dave'));
    expect(idle.redirects).toEqual([]);
    const carol = track(await enter(node('node-b').ws, await token('carol'), 'cx-full', 'Carol'));
    expect(carol.url).toBe(node('node-b').ws);
    await eventually(async () => (await cluster(node('node-a').api.url)).nodes.find((n) => n.id === 'node-b')?.peers === 1, 'node-b reports its peer');
    const placedOn = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const e = track(await enter(node('node-b').ws, await token(`dan-${i}`), `cx-spread-${i}`, 'Dan'));
      expect(e.redirects).toHaveLength(1);
      placedOn.add(e.redirects[0].nodeId);
    }
    expect([...placedOn].every((id) => id === 'node-a' || id === 'node-c')).toBe(true);
    // The token's region claim: a new room prefers the nodes of that region (node-c is "eu").
    const eu = track(await enter(node('node-a').ws, await token('erik', { region: 'eu' }), 'cx-eu', 'Erik'));
    expect(eu.redirects.map((r) => r.nodeId)).toEqual(['node-c']);
    expect(eu.url).toBe(node('node-c').ws);
    const view = await cluster(node('node-c').api.url);
    for (let i = 0; i < 3; i++) expect(view.nodes.filter((n) => n.placedRooms.includes(`cx-spread-${i}`)).map((n) => n.id)).toEqual([expect.stringMatching(/^node-[ac]$/)]);
  });

  /** With Redis stopped: what must still work on node-a, and the typed error for a new placement. */
  async function redisDownChecks(a: Entered, b: Entered): Promise<void> {
    await new Promise((r) => setTimeout(r, 300));
    // The room in progress: chat and a new joiner on its node still work.
    await a.client.request('chatMessage', { text: 'still here' });
    await b.client.until(() => b.client.notificationsOf('chatMessage').some((m) => m.text === 'still here'), 'chat without Redis');
    const late = track(await enter(node('node-a').ws, await token('gina'), 'cx-3', 'Gina'));
    expect(late.redirects).toEqual([]);
    // A room that needs placing: a clear, typed error.
    const lost = await TestClient.authenticated(node('node-b').ws, await token('hank'));
    clients.push(lost);
    const error = await lost.requestError('getRouterRtpCapabilities', { roomId: 'cx-new' });
    expect(error.code).toBe('cluster_unavailable');
    expect(error.details?.['retryAfterMs']).toEqual(expect.any(Number));
    const view = await cluster(node('node-b').api.url);
    expect(view.redisUp).toBe(false);

  }

  it('Redis down: rooms in progress go on, a new room answers cluster_unavailable with retryAfterMs; Redis back: the nodes re-register and re-claim their rooms', async () => {
    const a = track(await enter(node('node-a').ws, await token('erin'), 'cx-3', 'Erin'));
    const b = track(await enter(node('node-a').ws, await token('frank'), 'cx-3', 'Frank'));
    expect([a.url, b.url]).toEqual([node('node-a').ws, node('node-a').ws]);
    await server.stop();
    try {
      await redisDownChecks(a, b);
    } finally {
      await server.restart();
    }
    await eventually(async () => {
      const v = await cluster(node('node-b').api.url);
      return v.redisUp && v.nodes.length === 3 && (v.nodes.find((n) => n.id === 'node-a')?.placedRooms.includes('cx-3') ?? false);
    }, 'nodes re-registered and cx-3 re-claimed by node-a');
    // Placement works again, and the re-claimed room still redirects to its node.
    const again = track(await enter(node('node-b').ws, await token('ivy'), 'cx-3', 'Ivy'));
    expect(again.url).toBe(node('node-a').ws);
    const fresh = track(await enter(node('node-b').ws, await token('hank'), 'cx-new', 'Hank'));
    expect(fresh.client.auth?.peerId).toBe('hank');
  }, 30_000);

  it('SIGTERM drain: the rooms are handed to a live node and every peer is told where to go (serverShutdown.moveTo) before its socket closes', async () => {
    const roomId = 'cx-drain';
    const a = track(await enter(node('node-c').ws, await token('jo'), roomId, 'Jo'));
    const b = track(await enter(node('node-c').ws, await token('kim'), roomId, 'Kim'));
    expect(a.url).toBe(node('node-c').ws);
    node('node-c').api.child.kill('SIGTERM');
    await a.client.until(() => a.client.notificationsOf('serverShutdown').length > 0, 'serverShutdown');
    const moveTo = a.client.notificationsOf('serverShutdown')[0].moveTo;
    expect(moveTo).toMatchObject({ roomId, nodeId: expect.stringMatching(/^node-[ab]$/) });
    await b.client.until(() => b.client.notificationsOf('serverShutdown').some((s) => s.moveTo?.nodeId === moveTo?.nodeId), 'Kim told the same node');
    // Both move (as the SDK does) and meet on the new node.
    const movedA = track(await enter(moveTo?.url as string, moveTo?.token as string, roomId, 'Jo'));
    const kimMove = b.client.notificationsOf('serverShutdown')[0].moveTo as RedirectDetails;
    const movedB = track(await enter(kimMove.url, kimMove.token, roomId, 'Kim'));
    expect(movedA.redirects).toEqual([]);
    expect(movedB.url).toBe(movedA.url);
    await movedA.client.until(() => movedA.client.notificationsOf('peerJoined').some((p) => p.id === 'kim'), 'Jo sees Kim on the new node');
    a.client.socket.close(1000);
    b.client.socket.close(1000);
    const exit = await node('node-c').api.exited;
    expect(exit.code).toBe(0);
    await eventually(async () => (await cluster(node('node-a').api.url)).nodes.every((n) => n.id !== 'node-c'), 'node-c left the registry');
  }, 30_000);

  it('SIGKILL: the dead node expires, its rooms go to a live node, and its clients reconnect through any node and meet again within 5 s', async () => {
    const roomId = 'cx-failover';
    const owner = (await enter(node('node-a').ws, await token('lee'), roomId, 'Lee'));
    track(owner);
    const other = track(await enter(node('node-b').ws, await token('max'), roomId, 'Max'));
    const ownerId = owner.redirects[0]?.nodeId ?? 'node-a';
    expect(other.url).toBe(node(ownerId).ws);
    const survivor = nodes.find((n) => n.id !== ownerId && n.api.child.exitCode === null && n.api.child.signalCode === null) as Node;
    // A participant removed before the failover stays out after it (the ban is shared through Redis).
    const spy = track(await enter(node(ownerId).ws, await token('spy', { role: 'participant' }), roomId, 'Spy'));
    await owner.client.request('removeParticipant', { peerId: 'spy', reason: 'test' });
    await spy.client.until(() => spy.client.notificationsOf('removed').length === 1, 'spy removed');
    const killedAt = Date.now();
    node(ownerId).api.child.kill('SIGKILL');
    await Promise.all([owner.client.closed, other.client.closed]);
    // Clients reconnect through the survivor (the load balancer's pick), retrying while the room is still placed on the dead node.
    const rejoin = async (sub: string, name: string): Promise<Entered> => {
      for (;;) {
        try {
          return await enter(survivor.ws, await token(sub), roomId, name);
        } catch (error) {
          if (Date.now() - killedAt > 10_000) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const [lee, max] = await Promise.all([rejoin('lee', 'Lee'), rejoin('max', 'Max')]);
    track(lee);
    track(max);
    expect(lee.url).toBe(max.url);
    expect(lee.url).toBe(survivor.ws);
    // Whoever joined second found the other in the room; the first was told with peerJoined.
    const met = (me: Entered, other: string): boolean => me.peers.some((p) => p.id === other) || me.client.notificationsOf('peerJoined').some((p) => p.id === other);
    await lee.client.until(() => met(lee, 'max'), 'Lee sees Max');
    await max.client.until(() => met(max, 'lee'), 'Max sees Lee');
    const failoverMs = Date.now() - killedAt;
    console.log(`cluster failover: SIGKILL → both clients back in the room on a live node in ${failoverMs} ms (node TTL ${NODE_TTL_MS} ms)`);
    expect(failoverMs).toBeLessThan(5000);
    const view = await cluster(survivor.api.url);
    expect(view.nodes.map((n) => n.id)).not.toContain(ownerId);
    const back = await TestClient.authenticated(survivor.ws, await token('spy', { role: 'participant' }));
    clients.push(back);
    const refused = await back.requestError('getRouterRtpCapabilities', { roomId });
    expect([refused.code, refused.details?.['reason']]).toEqual(['forbidden', 'removed']);
  }, 30_000);
});
