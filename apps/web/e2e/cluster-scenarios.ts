/**
 * Browser scenarios for the cluster (issue 14): a throw-away redis-server, three
 * API nodes (the built API serving the built web app, one real worker each) and a
 * small TCP load balancer in front. Pages open the app through the balancer;
 * their signaling sockets land on different nodes, the SDK follows the server's
 * redirect to the room's node, and recovers through the balancer when that node
 * is SIGKILLed or drained with SIGTERM (`serverShutdown.moveTo`).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the same throw-away redis-server as the API's cluster e2e
import { redisAvailability, startRedis, type RedisServer } from '../../api/src/testing/redis-server';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the same helper as the API's tests
import { freePort } from '../../api/src/testing/free-port';
import { ARTIFACTS, eventually, leaveAll, log, mediasoupWorkerPids, newContext, startApi, type Api, type Participant, type Results } from './harness';
import { framesDecoded, inboundAudioBytes, peerListed, videoPlaying } from './page-probes';

export interface ClusterScenarioContext {
  browser: Browser;
  results: Results;
  /** Why media scenarios are skipped; null when a real worker runs. */
  mediaSkip: string | null;
}

const CLUSTER_SECRET = randomBytes(24).toString('hex');
const API_KEY = 'ops';
const API_SECRET = randomBytes(24).toString('hex');
/** Issue 14: SIGKILL of the room's node → both remote videos playing again. The goal is 5 s. */
const FAILOVER_LIMIT_MS = 10_000;
const FAILOVER_GOAL_MS = 5000;

/** A server API token (HS256, `iss` = the key), as `npm run api-token` makes. */
function apiToken(): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: API_KEY, iat: now, exp: now + 300 })}`;
  return `${body}.${createHmac('sha256', API_SECRET).update(body).digest('base64url')}`;
}

/**
 * A TCP load balancer on loopback: each connection goes to the next backend in
 * turn, skipping one that refuses it. WebSocket upgrades (seen in the first bytes)
 * take turns on their own, so two participants' signaling sockets alternate
 * between nodes whatever number of HTTP connections their page loads made.
 */
class TcpBalancer {
  /** Backend port of each WebSocket connection, in order, and when it was connected. */
  readonly wsPicks: { port: number; at: number }[] = [];
  private readonly turn = { http: 0, ws: 0 };
  private readonly open = new Set<Socket>();
  private readonly server: Server = createServer((client) => this.accept(client));
  port = 0;

  constructor(readonly backends: number[]) {}

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.port = (this.server.address() as { port: number }).port))));
  }

  close(): Promise<void> {
    for (const s of this.open) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.open.add(client);
    client.on('close', () => this.open.delete(client));
    client.on('error', () => client.destroy());
    client.once('data', (first: Buffer) => {
      client.pause();
      const kind = /\r\nupgrade:\s*websocket/i.test(first.toString('latin1')) ? 'ws' : 'http';
      this.connect(client, first, kind, 0);
    });
  }

  private connect(client: Socket, first: Buffer, kind: 'http' | 'ws', tried: number): void {
    if (tried >= this.backends.length || client.destroyed) return void client.destroy();
    const index = this.turn[kind]++ % this.backends.length;
    const port = this.backends[index];
    const upstream = createConnection({ host: '127.0.0.1', port });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.open.add(upstream);
      if (kind === 'ws') this.wsPicks.push({ port, at: Date.now() });
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    upstream.on('error', () => {
      // Refused (a dead node): the next one; an established connection that fails ends the client's too.
      if (!connected) this.connect(client, first, kind, tried + 1);
      else client.destroy();
    });
    upstream.on('close', () => {
      this.open.delete(upstream);
      if (connected) client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }
}

interface ClusterNode {
  id: string;
  port: number;
  api: Api;
  /** Its mediasoup worker(s), to be sure none outlives a SIGKILLed node. */
  workers: number[];
  wsUrl: string;
  alive: boolean;
}

interface ClusterView {
  nodeId: string;
  redisUp: boolean;
  nodes: { id: string; placedRooms: string[]; peers: number; cpu: number; url: string }[];
}

/** Redis, three nodes on it, the balancer; `stop()` ends every process started here, by PID. */
class TestCluster {
  redis: RedisServer | null = null;
  readonly nodes: ClusterNode[] = [];
  readonly balancer = new TcpBalancer([]);
  private readonly secret = randomBytes(24).toString('hex');

  get url(): string {
    return `http://127.0.0.1:${this.balancer.port}`;
  }

  /** The signaling URL the app uses: through the balancer. */
  get wsEntry(): string {
    return `ws://127.0.0.1:${this.balancer.port}/ws`;
  }

  async start(count: number): Promise<void> {
    for (let i = 1; i <= count; i++) rmSync(path.join(ARTIFACTS, `cluster-node-${i}.log`), { force: true });
    this.redis = await startRedis();
    await this.balancer.listen();
    // One at a time: three Node start-ups at once on two busy cores.
    for (let i = 1; i <= count; i++) {
      const id = `node-${i}`;
      const port = await freePort();
      const wsUrl = `ws://127.0.0.1:${port}/ws`;
      const api = await startApi({
        port,
        secret: this.secret,
        logName: `cluster-${id}.log`,
        env: {
          REDIS_URL: this.redis.url,
          CLUSTER_SECRET,
          NODE_ID: id,
          NODE_PUBLIC_URL: wsUrl,
          ALLOWED_ORIGINS: this.url,
          API_KEYS: `${API_KEY}:${API_SECRET}`,
          MEDIASOUP_NUM_WORKERS: '1',
          DATABASE_URL: 'memory:',
        },
      });
      this.nodes.push({ id, port, api, workers: mediasoupWorkerPids(api.pid), wsUrl, alive: true });
      this.balancer.backends.push(port);
    }
    await eventually(async () => (await this.view()).nodes.length === count, `${count} nodes did not register`, 20_000);
    // Placement counts a node over 85 % CPU as busy: wait until start-up is over, as the API's cluster e2e does.
    await eventually(async () => (await this.view()).nodes.every((n) => n.cpu < 0.5), 'the nodes did not become idle after start-up', 60_000);
    log(`cluster: redis pid ${this.redis.pid}; ${this.nodes.map((n) => `${n.id} pid ${n.api.pid} port ${n.port}`).join(', ')}; balancer at ${this.url}`);
  }

  /** The id of the node listening on `port` (or the signaling URL `ws://…:port/ws`); 'balancer' for the balancer. */
  nodeAt(port: number | string): string {
    const n = typeof port === 'number' ? port : Number(/:(\d+)\//.exec(port)?.[1]);
    return n === this.balancer.port ? 'balancer' : (this.nodes.find((node) => node.port === n)?.id ?? `port ${n}`);
  }

  /** GET /api/v1/cluster from a live node. */
  async view(): Promise<ClusterView> {
    const node = this.nodes.find((n) => n.alive);
    if (!node) throw new Error('no live node');
    const res = await fetch(`${node.api.baseUrl}/api/v1/cluster`, { headers: { authorization: `Bearer ${apiToken()}` } });
    if (res.status !== 200) throw new Error(`GET /api/v1/cluster: HTTP ${res.status}`);
    return (await res.json()) as ClusterView;
  }

  /** The live node the room is placed on; throws unless exactly one holds it. */
  async roomNode(room: string): Promise<ClusterNode> {
    const holders = (await this.view()).nodes.filter((n) => n.placedRooms.includes(room)).map((n) => n.id);
    if (holders.length !== 1) throw new Error(`room ${room} is placed on ${holders.length} nodes (${holders.join(', ') || 'none'})`);
    const node = this.nodes.find((n) => n.id === holders[0]);
    if (!node?.alive) throw new Error(`room ${room} is placed on ${holders[0]}, which is not a live node`);
    return node;
  }

  /** SIGKILL (no goodbye) or SIGTERM (drain) to the node's own PID. */
  signal(node: ClusterNode, signal: 'SIGKILL' | 'SIGTERM'): void {
    process.kill(node.api.pid, signal);
  }

  /** Waits for the node to exit (sends nothing: a second SIGTERM would cut its drain short); its exit code, null when killed by a signal. */
  async exited(node: ClusterNode): Promise<number | null> {
    const code = await node.api.exited;
    node.alive = false;
    await this.reapWorkers(node);
    return code;
  }

  /** A worker dies when its node's channel closes; one still there after 3 s is killed by its PID. */
  private async reapWorkers(node: ClusterNode): Promise<void> {
    const running = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 3000;
    while (node.workers.some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const pid of node.workers.filter(running)) {
      log(`cluster: worker ${pid} of ${node.id} outlived its node; SIGKILL`);
      process.kill(pid, 'SIGKILL');
    }
  }

  async stop(): Promise<void> {
    await this.balancer.close().catch(() => undefined);
    await Promise.all(this.nodes.map(async (n) => {
      await n.api.stop();
      await this.exited(n);
    }));
    await this.redis?.stop();
  }
}

/** Records when each signaling socket of the page was created, opened and closed (`window.__socketLog`). */
const SOCKET_LOG = `
  (() => {
    const Spied = window.WebSocket;
    window.__socketLog = [];
    window.WebSocket = class extends Spied {
      constructor(url, protocols) {
        super(url, protocols);
        const entry = { url: this.url, at: Date.now(), openAt: null, closeAt: null, roster: [] };
        window.__socketLog.push(entry);
        this.addEventListener('open', () => (entry.openAt = Date.now()));
        // The messages that make the peer list: join answers (peers) and peerJoined / peerLeft, in arrival order.
        this.addEventListener('message', (event) => {
          if (typeof event.data !== 'string' || !/"peers":|"peerJoined"|"peerLeft"/.test(event.data)) return;
          const m = JSON.parse(event.data);
          const who = (id) => String(id).slice(0, 12);
          if (m.type === 'response' && m.data && Array.isArray(m.data.peers)) entry.roster.push(Date.now() + ' join answer #' + m.id + ' peers=[' + m.data.peers.map((p) => who(p.id)).join(',') + ']');
          else if (m.method === 'peerJoined') entry.roster.push(Date.now() + ' peerJoined ' + who(m.data.id));
          else if (m.method === 'peerLeft') entry.roster.push(Date.now() + ' peerLeft ' + who(m.data.peerId));
        });
        this.addEventListener('close', () => (entry.closeAt = Date.now()));
      }
    };
  })();
`;

interface SocketEntry {
  url: string;
  /** "<Date.now()> join answer #id peers=[…]", "<Date.now()> peerJoined <id>", "<Date.now()> peerLeft <id>". */
  roster: string[];
  at: number;
  openAt: number | null;
  closeAt: number | null;
}

function socketLog(page: Page): Promise<SocketEntry[]> {
  return page.evaluate(() => (window as unknown as { __socketLog: SocketEntry[] }).__socketLog);
}

/** What the page's sockets did since `since`, in ms after it: "balancer +260 (open +262, closed +270); node-2 +1200 (open +1203)". */
async function socketTimeline(page: Page, cluster: TestCluster, since: number): Promise<string> {
  const entries = await socketLog(page);
  const ms = (t: number | null): string => (t === null ? '' : `${t - since >= 0 ? '+' : ''}${t - since}`);
  const lines = entries
    .filter((e) => (e.closeAt ?? Infinity) >= since)
    .map((e) => {
      const roster = e.roster.map((line) => line.replace(/^(\d+)/, (t) => ms(Number(t)))).filter((line) => !line.startsWith('-'));
      return `${cluster.nodeAt(e.url)} ${ms(e.at)} (open ${ms(e.openAt) || 'never'}${e.closeAt ? `, closed ${ms(e.closeAt)}` : ''}${roster.length ? `; ${roster.join(', ')}` : ''})`;
    });
  return lines.join('; ');
}

/** The URLs of every WebSocket the page opened (the harness's spy). */
function socketUrls(page: Page): Promise<string[]> {
  return page.evaluate(() => ((window as unknown as { __sockets?: WebSocket[] }).__sockets ?? []).map((s) => s.url));
}

function localPeerId(page: Page): Promise<string> {
  return page.locator('cf-tile[data-local="true"]').first().getAttribute('data-peer-id').then((id) => id ?? '');
}

/**
 * Records in the page (`window.__videoBackAt`, Date.now()) when a remote camera
 * video showing a track it did not show before presents its second frame
 * (requestVideoFrameCallback), i.e. the remote video plays again after a failover.
 */
function watchRemoteVideoBack(page: Page): Promise<void> {
  return page.evaluate(() => {
    const w = window as unknown as { __videoBackAt: number | null };
    const selector = 'cf-tile:not([data-local="true"])[data-source="webcam"] video';
    const trackOf = (v: HTMLVideoElement): string => (v.srcObject as MediaStream | null)?.getVideoTracks()[0]?.id ?? '';
    const before = new Set([...document.querySelectorAll<HTMLVideoElement>(selector)].map(trackOf));
    const hooked = new Map<HTMLVideoElement, string>();
    w.__videoBackAt = null;
    const timer = setInterval(() => {
      for (const video of document.querySelectorAll<HTMLVideoElement>(selector)) {
        const track = trackOf(video);
        if (!track || before.has(track) || hooked.get(video) === track) continue;
        hooked.set(video, track);
        const onFrame = (_now: number, meta: { presentedFrames: number }): void => {
          if (trackOf(video) !== track) return;
          if (meta.presentedFrames >= 2) {
            w.__videoBackAt ??= Date.now();
            clearInterval(timer);
          } else video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
      }
    }, 25);
    setTimeout(() => clearInterval(timer), 60_000);
  });
}

/** What a page shows and receives, for a failure message: remote tiles and their video, open connections, inbound RTP. */
async function mediaState(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const tiles = [...document.querySelectorAll<HTMLElement>('cf-tile:not([data-local="true"])')].map((tile) => {
      const video = tile.querySelector('video');
      const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0];
      return `${tile.dataset['peerId']?.slice(0, 12)}/${tile.dataset['source']}: ${video ? `${video.videoWidth}px t=${video.currentTime.toFixed(1)} track ${track ? `${track.id.slice(0, 8)} ${track.readyState}${track.muted ? ' muted' : ''}` : 'none'}` : 'no video'}`;
    });
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== 'closed');
    const rtp: string[] = [];
    for (const pc of pcs) {
      (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number; bytesReceived?: number; packetsReceived?: number }) => {
        if (s.type === 'inbound-rtp') rtp.push(`${s.kind} ${s.packetsReceived ?? 0} pkts ${s.framesDecoded ?? '-'} frames`);
      });
    }
    const state = document.querySelector('[data-testid="room-screen"]')?.getAttribute('data-state');
    const listed = [...document.querySelectorAll<HTMLElement>('[data-testid="peer"]')].map((row) => row.dataset['peerId']?.slice(0, 12));
    return `room ${state}; peer list [${listed.join(', ')}]; remote tiles [${tiles.join('; ')}]; connections [${pcs.map((pc) => `${pc.connectionState}/${pc.iceConnectionState}`).join(', ')}]; inbound [${rtp.join('; ')}]`;
  });
}

/** Names the participants who decode the other's video but do not list the other (the peer list lost at the rejoin), for a failure message. */
async function unlisted(a: Participant, b: Participant): Promise<string> {
  const lost: string[] = [];
  for (const [viewer, other] of [
    [a, b],
    [b, a],
  ] as const) {
    const id = await localPeerId(other.page);
    if (!(await peerListed(viewer.page, id)) && (await framesDecoded(viewer.page)) > 0) lost.push(`${viewer.name} decodes ${other.name}'s video but does not list ${other.name}`);
  }
  return lost.length ? ` — ${lost.join('; ')} (its join answer came after peerJoined and without that peer; roster in the log above)` : '';
}

function videoBackAt(page: Page): Promise<number | null> {
  return page.evaluate(() => (window as unknown as { __videoBackAt: number | null }).__videoBackAt);
}

export async function runClusterScenarios({ browser, results, mediaSkip }: ClusterScenarioContext): Promise<void> {
  let redisSkip: string | null = null;
  try {
    const redis = redisAvailability();
    if (!redis.available) redisSkip = `needs redis-server: ${redis.why}`;
  } catch (error) {
    redisSkip = (error as Error).message;
  }
  const skip = mediaSkip ?? redisSkip;
  const suffix = Date.now().toString(36);
  const cluster = new TestCluster();
  let setUp: Promise<void> | null = null;
  const ready = (): Promise<void> => (setUp ??= cluster.start(3));
  const open: Participant[] = [];
  /** The pair of the last scenario that left it in a room with media flowing. */
  let meeting: { room: string; a: Participant; b: Participant } | null = null;

  /** Opens the app through the balancer and joins `room` with camera and mic. */
  const enter = async (name: string, room: string): Promise<Participant> => {
    const { context, page } = await newContext(browser, cluster.url, SOCKET_LOG);
    const p: Participant = { name, context, page, peerId: '' };
    open.push(p);
    page.setDefaultTimeout(30_000);
    await page.goto('/');
    await page.getByTestId('display-name').fill(name);
    await page.getByTestId('room-id').fill(room);
    await page.getByTestId('join-button').click();
    await page.locator('[data-testid="room-screen"][data-state="joined"]').waitFor();
    p.peerId = await localPeerId(page);
    return p;
  };

  /** Each sees the other's camera playing and receives audio from the other. */
  const mediaBothWays = async (a: Participant, b: Participant, timeoutMs = 30_000): Promise<void> => {
    for (const [viewer, sender] of [
      [a, b],
      [b, a],
    ] as const) {
      await eventually(async () => videoPlaying(viewer.page, await localPeerId(sender.page), 'webcam'), `${viewer.name} does not see ${sender.name}'s video playing`, timeoutMs).catch(async (error: Error) => {
        log(`  ${viewer.name}: ${await mediaState(viewer.page)}`);
        throw error;
      });
      const bytes = await inboundAudioBytes(viewer.page);
      await eventually(async () => (await inboundAudioBytes(viewer.page)) > bytes + 1000, `${viewer.name} receives no audio from ${sender.name}`);
    }
  };

  /** Two participants meet in a fresh room through the balancer; checks the redirect and the placement. */
  const meet = async (room: string): Promise<{ room: string; a: Participant; b: Participant }> => {
    const picks = cluster.balancer.wsPicks.length;
    const a = await enter('Ada Node', room);
    const b = await enter('Bo Node', room);
    const owner = await cluster.roomNode(room);
    const landed = cluster.balancer.wsPicks.slice(picks).map((pick) => cluster.nodeAt(pick.port));
    const direct = await Promise.all([a, b].map(async (p) => (await socketUrls(p.page)).filter((u) => cluster.nodes.some((n) => n.wsUrl === u))));
    log(`cluster: ${room} on ${owner.id}; sockets through the balancer landed on ${landed.join(', ')}; redirected: Ada ${direct[0].join(' ') || 'no'}, Bo ${direct[1].join(' ') || 'no'}`);
    if (new Set(landed).size < 2) throw new Error(`both signaling sockets landed on ${landed[0]}: the balancer did not alternate`);
    const redirected = direct.filter((urls) => urls.length > 0);
    if (redirected.length !== 1) throw new Error(`${redirected.length} participants were redirected (expected exactly one)`);
    if (!redirected[0].every((u) => u === owner.wsUrl)) throw new Error(`redirected to ${redirected[0].join(', ')}, not to the room's node ${owner.wsUrl}`);
    await mediaBothWays(a, b);
    return { room, a, b };
  };

  const names = [
    'cluster: two participants enter through a load balancer onto different nodes; one is redirected to the room\'s node, both see and hear each other, and /api/v1/cluster shows the room on exactly one node',
    `cluster: the room's node is SIGKILLed; both browsers recover through the balancer onto a live node and see each other's video again within ${FAILOVER_LIMIT_MS / 1000} s (goal ${FAILOVER_GOAL_MS / 1000} s)`,
    'cluster: the room\'s node is drained with SIGTERM; both browsers move to another node (serverShutdown.moveTo) and see and hear each other again',
  ];
  try {
    await results.run(names[0], skip, async () => {
      await ready();
      meeting = await meet(`cluster-${suffix}`);
      const owner = await cluster.roomNode(meeting.room);
      const res = await fetch(`${owner.api.baseUrl}/api/v1/rooms/${meeting.room}/participants`, { headers: { authorization: `Bearer ${apiToken()}` } });
      const listed = ((await res.json()) as { peerId: string }[]).map((p) => p.peerId).sort();
      if (listed.join(',') !== [meeting.a.peerId, meeting.b.peerId].sort().join(',')) throw new Error(`${owner.id} lists ${listed.join(', ')} in the room`);
    });

    await results.run(names[1], skip, async () => {
      await ready();
      const { room, a, b } = meeting ?? (await meet(`cluster-kill-${suffix}`));
      meeting = null;
      const victim = await cluster.roomNode(room);
      await Promise.all([a, b].map((p) => watchRemoteVideoBack(p.page)));
      const killedAt = Date.now();
      cluster.signal(victim, 'SIGKILL');
      log(`cluster: SIGKILL ${victim.id} (pid ${victim.api.pid})`);
      const exit = cluster.exited(victim);
      await eventually(async () => (await videoBackAt(a.page)) !== null && (await videoBackAt(b.page)) !== null, 'the remote videos did not play again', 30_000).catch(async (error: Error) => {
        const back = await Promise.all([a, b].map((p) => videoBackAt(p.page)));
        for (const p of [a, b]) log(`  ${p.name}: ${await mediaState(p.page)}; sockets (ms after the kill): ${await socketTimeline(p.page, cluster, killedAt)}`);
        throw new Error(`${error.message} (Ada ${back[0] ? `${back[0] - killedAt} ms` : 'no video'}, Bo ${back[1] ? `${back[1] - killedAt} ms` : 'no video'} after the kill)${await unlisted(a, b)}`);
      });
      await exit;
      const back = (await Promise.all([a, b].map((p) => videoBackAt(p.page)))) as number[];
      const failoverMs = Math.max(...back) - killedAt;
      const owner = await cluster.roomNode(room);
      log(`cluster failover: SIGKILL of ${victim.id} → both remote videos playing again on ${owner.id} in ${failoverMs} ms (Ada ${back[0] - killedAt} ms, Bo ${back[1] - killedAt} ms; goal ${FAILOVER_GOAL_MS} ms)`);
      for (const p of [a, b]) log(`  ${p.name}'s sockets (ms after the kill): ${await socketTimeline(p.page, cluster, killedAt)}`);
      log(`  balancer WebSocket picks after the kill: ${cluster.balancer.wsPicks.filter((pick) => pick.at >= killedAt).map((pick) => `${cluster.nodeAt(pick.port)} +${pick.at - killedAt}`).join(', ') || 'none'}`);
      if (owner.id === victim.id) throw new Error(`the room is still placed on the killed ${victim.id}`);
      for (const p of [a, b]) {
        if (!(await socketLog(p.page)).some((e) => e.at >= killedAt && e.url === cluster.wsEntry && e.openAt !== null)) throw new Error(`${p.name} did not go back through the balancer`);
      }
      await mediaBothWays(a, b);
      if (failoverMs >= FAILOVER_LIMIT_MS) throw new Error(`failover took ${failoverMs} ms (limit ${FAILOVER_LIMIT_MS} ms)`);
      meeting = { room, a, b };
    });

    await results.run(names[2], skip, async () => {
      await ready();
      if (cluster.nodes.filter((n) => n.alive).length < 2) throw new Error('needs two live nodes');
      const { room, a, b } = meeting ?? (await meet(`cluster-drain-${suffix}`));
      const victim = await cluster.roomNode(room);
      await Promise.all([a, b].map((p) => watchRemoteVideoBack(p.page)));
      const drainedAt = Date.now();
      cluster.signal(victim, 'SIGTERM');
      log(`cluster: SIGTERM ${victim.id} (pid ${victim.api.pid})`);
      const code = await cluster.exited(victim);
      if (code !== 0) throw new Error(`${victim.id} exited with ${code} after SIGTERM`);
      await eventually(async () => (await videoBackAt(a.page)) !== null && (await videoBackAt(b.page)) !== null, 'the remote videos did not play again after the drain', 30_000).catch(async (error: Error) => {
        for (const p of [a, b]) log(`  ${p.name}: video back ${await videoBackAt(p.page)}; ${await mediaState(p.page)}; sockets since the SIGTERM: ${await socketTimeline(p.page, cluster, drainedAt)}`);
        throw new Error(`${error.message}${await unlisted(a, b)}`);
      });
      const back = (await Promise.all([a, b].map((p) => videoBackAt(p.page)))) as number[];
      const owner = await cluster.roomNode(room);
      const moved = await Promise.all([a, b].map(async (p) => (await socketUrls(p.page)).includes(owner.wsUrl)));
      for (const p of [a, b]) log(`  ${p.name}'s sockets (ms after the SIGTERM): ${await socketTimeline(p.page, cluster, drainedAt)}`);
      log(`cluster drain: SIGTERM of ${victim.id} → both remote videos playing again on ${owner.id} in ${Math.max(...back) - drainedAt} ms; sockets to ${owner.wsUrl}: Ada ${moved[0]}, Bo ${moved[1]}`);
      if (!moved.every(Boolean)) throw new Error(`not every participant moved to ${owner.id} (${owner.wsUrl}) as serverShutdown.moveTo said`);
      // A move, not a failover: the socket to the new node is opened before the old one closes, and the balancer is not asked.
      for (const p of [a, b]) {
        const since = (await socketLog(p.page)).filter((e) => (e.closeAt ?? Infinity) >= drainedAt);
        const old = since.find((e) => e.at < drainedAt);
        const next = since.find((e) => e.at >= drainedAt);
        if (!old || next?.url !== owner.wsUrl || (old.closeAt !== null && next.at > old.closeAt)) throw new Error(`${p.name} did not move at serverShutdown (its first socket after the SIGTERM: ${next ? cluster.nodeAt(next.url) : 'none'}, created after the old one closed: ${Boolean(old?.closeAt && next && next.at > old.closeAt)})`);
        if (since.some((e) => e.at >= drainedAt && e.url === cluster.wsEntry)) throw new Error(`${p.name} went back through the balancer instead of moving`);
      }
      await mediaBothWays(a, b);
    });
  } finally {
    await leaveAll(open);
    await cluster.stop();
  }
}
