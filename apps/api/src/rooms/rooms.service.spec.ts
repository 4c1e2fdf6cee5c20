import type { Peer } from '../peers/peer';
import type { ConferEvent } from '../policies/event-sink';
import type { RoomAction, RoomPolicy } from '../policies/room-policy';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { createApiTesting, type ApiTesting } from '../testing/api-testing-module';
import { eventually, testPeer, type RecordingChannel } from '../testing/test-peers';
import { WorkerPoolService } from '../workers/worker-pool.service';
import { backends } from '../../test/support/backends';
import { RoomsService } from './rooms.service';

/** Rooms named `small-*` hold two peers; `secret-*` refuse everyone; entering `slow-*` is decided later. */
class TestPolicy implements RoomPolicy {
  readonly asked: { roomId: string; action: RoomAction }[] = [];

  may(identity: { subject: string }, roomId: string, action: RoomAction): boolean | Promise<boolean> {
    this.asked.push({ roomId, action });
    if (roomId.startsWith('secret-')) return false;
    if (roomId.startsWith('slow-')) return new Promise((r) => setTimeout(() => r(true), 20));
    return true;
  }

  capacity(roomId: string): number {
    return roomId.startsWith('small-') ? 2 : roomId.startsWith('closed-') ? 0 : 50;
  }
}

describe.each(backends)('RoomsService on the $name', (backend) => {
  let api: ApiTesting;
  let rooms: RoomsService;
  let pool: WorkerPoolService;
  let events: ConferEvent[];
  let policy: TestPolicy;
  let nextId = 0;

  const created: Peer[] = [];
  const peer = (): { peer: Peer; channel: RecordingChannel } => {
    const made = testPeer(`peer-${++nextId}`);
    created.push(made.peer);
    return made;
  };
  const eventsFor = (roomId: string): string[] => events.filter((e) => 'roomId' in e && e.roomId === roomId).map((e) => e.type);

  /** Routers on every worker, as the workers report them. */
  async function liveRouters(): Promise<number> {
    let n = 0;
    for (const entry of pool.workerEntries) if (!entry.worker.closed) n += (await entry.worker.dump()).routerIds.length;
    return n;
  }

  beforeAll(async () => {
    events = [];
    policy = new TestPolicy();
    api = await createApiTesting({ mediasoup: backend.source(), roomPolicy: policy, eventSinks: [{ emit: (e) => void events.push(e) }] });
    rooms = api.get(RoomsService);
    pool = api.get(WorkerPoolService);
    expect(pool.available).toBe(true);
  });

  afterAll(() => api?.close());

  afterEach(async () => {
    if (!rooms) return;
    // A failed test must not leave its peers in rooms for the next one.
    for (const p of created.splice(0)) if (p.roomId) rooms.exit(p);
    // Every test leaves nothing behind: no room, no router.
    await eventually(async () => rooms.all().length === 0 && (await liveRouters()) === 0, 'rooms and routers to be gone');
  });

  it('creates a room on first entry and puts the peer in it', async () => {
    const { peer: alice } = peer();
    const room = await rooms.enter(alice, 'first');
    expect(alice.roomId).toBe('first');
    expect(rooms.get('first')).toBe(room);
    expect(room.media?.router.closed).toBe(false);
    expect(await liveRouters()).toBe(1);
    expect(eventsFor('first')).toEqual(['room.started']);
    rooms.exit(alice);
  });

  it('shares one room and one router between simultaneous first entries', async () => {
    const peers = [peer().peer, peer().peer, peer().peer];
    const entered = await Promise.all(peers.map((p) => rooms.enter(p, 'together')));
    expect(new Set(entered).size).toBe(1);
    expect([...entered[0].peers.keys()].sort()).toEqual(peers.map((p) => p.id).sort());
    expect(await liveRouters()).toBe(1);
    expect(eventsFor('together')).toEqual(['room.started']);
    for (const p of peers) rooms.exit(p);
  });

  it('is idempotent for the room the peer is in, and refuses a second room', async () => {
    const { peer: alice } = peer();
    const room = await rooms.enter(alice, 'here');
    await expect(rooms.enter(alice, 'here')).resolves.toBe(room);
    await expect(rooms.enter(alice, 'elsewhere')).rejects.toMatchObject({ code: 'invalid_state' });
    expect(alice.roomId).toBe('here');
    expect(rooms.get('elsewhere')).toBeUndefined();
    rooms.exit(alice);
  });

  it('answers limit_exceeded past the room’s capacity and keeps the room as it was', async () => {
    const [a, b, c] = [peer().peer, peer().peer, peer().peer];
    await rooms.enter(a, 'small-1');
    await rooms.enter(b, 'small-1');
    await expect(rooms.enter(c, 'small-1')).rejects.toMatchObject({ code: 'limit_exceeded' });
    expect(c.roomId).toBeNull();
    expect([...(rooms.get('small-1')?.peers.keys() ?? [])]).toEqual([a.id, b.id]);
    // A place that frees up can be taken.
    rooms.exit(b);
    await expect(rooms.enter(c, 'small-1')).resolves.toBe(rooms.get('small-1'));
    rooms.exit(a);
    rooms.exit(c);
  });

  it('does not keep a room it had to create for a peer that did not fit', async () => {
    const { peer: alice } = peer();
    await expect(rooms.enter(alice, 'closed-1')).rejects.toMatchObject({ code: 'limit_exceeded' });
    expect(rooms.get('closed-1')).toBeUndefined();
    expect(await liveRouters()).toBe(0);
    expect(eventsFor('closed-1')).toEqual(['room.started', 'room.finished']);
  });

  it('answers forbidden when the policy refuses, before creating anything', async () => {
    const { peer: alice } = peer();
    await expect(rooms.enter(alice, 'secret-1')).rejects.toMatchObject({ code: 'forbidden' });
    expect(policy.asked).toContainEqual({ roomId: 'secret-1', action: 'enter' });
    expect(alice.roomId).toBeNull();
    expect(rooms.get('secret-1')).toBeUndefined();
    expect(eventsFor('secret-1')).toEqual([]);
  });

  it('waits for a policy that answers asynchronously', async () => {
    const { peer: alice } = peer();
    const room = await rooms.enter(alice, 'slow-1');
    expect(rooms.get('slow-1')).toBe(room);
    expect(alice.roomId).toBe('slow-1');
    rooms.exit(alice);
  });

  it('closes the room and its router when the last peer exits, not before', async () => {
    const [a, b] = [peer().peer, peer().peer];
    const room = await rooms.enter(a, 'closing');
    await rooms.enter(b, 'closing');
    const router = room.media?.router;
    rooms.exit(a);
    expect(room.closed).toBe(false);
    expect(router?.closed).toBe(false);
    expect(eventsFor('closing')).toEqual(['room.started']);

    rooms.exit(b);
    expect(room.closed).toBe(true);
    expect(router?.closed).toBe(true);
    expect(rooms.get('closing')).toBeUndefined();
    expect(b.roomId).toBeNull();
    expect(eventsFor('closing')).toEqual(['room.started', 'room.finished']);
    // The next entry starts a new room with a new router.
    const again = await rooms.enter(a, 'closing');
    expect(again).not.toBe(room);
    expect(again.media?.router.id).not.toBe(router?.id);
    rooms.exit(a);
  });

  it('tells the joined peers who left and emits participant.left, only for a joined peer', async () => {
    const [a, b, c] = [peer(), peer(), peer()];
    for (const p of [a, b, c]) await rooms.enter(p.peer, 'leaving');
    a.peer.joined = true;
    b.peer.joined = true;
    // c entered (getRouterRtpCapabilities) but never joined: nobody sees it go.
    rooms.exit(c.peer);
    expect(a.channel.notificationsOf('peerLeft')).toEqual([]);
    rooms.exit(b.peer);
    expect(a.channel.notificationsOf('peerLeft')).toEqual([{ peerId: b.peer.id }]);
    expect(b.channel.notificationsOf('peerLeft')).toEqual([]);
    expect(events.filter((e) => e.type === 'participant.left' && e.roomId === 'leaving').map((e) => (e as { peerId: string }).peerId)).toEqual([b.peer.id]);
    expect(b.peer.joined).toBe(false);
    rooms.exit(a.peer);
  });

  it('does not leave a room behind for a peer that went while it was being created', async () => {
    const { peer: alice } = peer();
    const entering = rooms.enter(alice, 'slow-gone');
    alice.closed = true;
    await expect(entering).rejects.toMatchObject({ code: 'invalid_state' });
    expect(rooms.get('slow-gone')).toBeUndefined();
    expect(alice.roomId).toBeNull();
  });

  it('resets every room on a worker that died: mediaReset once to each peer, room finished, room usable again', async () => {
    const [a, b] = [peer(), peer()];
    const room = await rooms.enter(a.peer, 'crash');
    await rooms.enter(b.peer, 'crash');
    a.peer.joined = true;
    const entry = pool.workerEntries.find((w) => w.index === room.media?.workerIndex);
    if (!entry) throw new Error('no worker for the room');
    pool.kill(entry);

    await eventually(() => rooms.get('crash') === undefined, 'the room to be reset');
    await eventually(() => a.channel.notificationsOf('mediaReset').length > 0 && b.channel.notificationsOf('mediaReset').length > 0, 'mediaReset');
    expect(room.closed).toBe(true);
    for (const p of [a, b]) {
      expect(p.channel.notificationsOf('mediaReset')).toHaveLength(1);
      expect(p.peer.roomId).toBeNull();
      expect(p.peer.joined).toBe(false);
    }
    expect(eventsFor('crash')).toEqual(['room.started', 'participant.left', 'room.finished']);

    // The pool replaces the worker; the peers start again at the room.
    await eventually(() => pool.liveWorkerCount === 1, 'a replacement worker', 10_000);
    const again = await rooms.enter(a.peer, 'crash');
    expect(again).not.toBe(room);
    expect(again.media?.router.closed).toBe(false);
    rooms.exit(a.peer);
  });

  // Last: the drain cannot be undone.
  it('refuses new rooms while draining (reason draining), but lets a peer back into the room it is in', async () => {
    const { peer: alice } = peer();
    const room = await rooms.enter(alice, 'draining');
    api.get(ShutdownState).startDraining();
    const { peer: bob } = peer();
    await expect(rooms.enter(bob, 'fresh-while-draining')).rejects.toMatchObject({ code: 'invalid_state', details: { reason: 'draining' } });
    await expect(rooms.enter(bob, 'draining')).rejects.toMatchObject({ code: 'invalid_state', details: { reason: 'draining' } });
    expect(rooms.get('fresh-while-draining')).toBeUndefined();
    await expect(rooms.enter(alice, 'draining')).resolves.toBe(room);
    rooms.exit(alice);
  });
});
