import type { Producer } from 'mediasoup/types';
import type { RtpCapabilities } from '@confer/signaling-contracts';
import type { Peer } from '../peers/peer';
import type { Room } from '../rooms/room';
import { RoomsService } from '../rooms/rooms.service';
import { createApiTesting, type ApiTesting } from '../testing/api-testing-module';
import { eventually, testPeer, type RecordingChannel } from '../testing/test-peers';
import { WorkerPoolService } from '../workers/worker-pool.service';
import { backends } from '../../test/support/backends';
import { sendRtpParameters } from '../../test/support/rtp';
import { checkedRtpCapabilities } from './client-values';
import { SubscriptionsService } from './subscriptions.service';
import { TransportsService } from './transports.service';

interface Member {
  peer: Peer;
  channel: RecordingChannel;
}

describe.each(backends)('SubscriptionsService on the $name', (backend) => {
  let api: ApiTesting;
  let subscriptions: SubscriptionsService;
  let transports: TransportsService;
  let rooms: RoomsService;
  let pool: WorkerPoolService;
  let room: Room;
  let members: Member[];
  let roomNo = 0;
  let peerNo = 0;

  beforeAll(async () => {
    api = await createApiTesting({ mediasoup: backend.source() });
    subscriptions = api.get(SubscriptionsService);
    transports = api.get(TransportsService);
    rooms = api.get(RoomsService);
    pool = api.get(WorkerPoolService);
  });

  afterAll(() => api?.close());

  beforeEach(() => {
    members = [];
    roomNo++;
  });

  afterEach(async () => {
    if (!rooms) return;
    for (const m of members) rooms.exit(m.peer);
    // Nothing of the fan-out outlives the room: no router, no consumer.
    await eventually(async () => {
      let routers = 0;
      for (const e of pool.workerEntries) if (!e.worker.closed) routers += (await e.worker.dump()).routerIds.length;
      return rooms.all().length === 0 && routers === 0;
    }, 'the room and its router to close');
    if (api.fake) expect(api.fake.dump()).toMatchObject({ router: 0, transport: 0, producer: 0, consumer: 0 });
  });

  const routerCaps = (): RtpCapabilities => room.media?.router.rtpCapabilities as RtpCapabilities;

  /** A peer in this test's room: entered, with the transports asked for, joined unless told otherwise. */
  async function member(options: { recv?: boolean; send?: boolean; joined?: boolean; caps?: RtpCapabilities | null } = {}): Promise<Member> {
    const { recv = true, send = false, joined = true } = options;
    const m = testPeer(`p${++peerNo}`);
    members.push(m);
    room = await rooms.enter(m.peer, `fan-out-${roomNo}`);
    if (send) await transports.createWebRtcTransport(m.peer, { direction: 'send' });
    if (recv) await transports.createWebRtcTransport(m.peer, { direction: 'recv' });
    const caps = options.caps === undefined ? routerCaps() : options.caps;
    m.peer.rtpCapabilities = caps ? (checkedRtpCapabilities(caps) as Peer['rtpCapabilities']) : undefined;
    m.peer.joined = joined;
    return m;
  }

  /** A producer on the peer's send transport, kept in its map as ProducersService keeps it. */
  async function produce(m: Member, kind: 'audio' | 'video'): Promise<Producer> {
    const transport = [...m.peer.transports.values()].find((t) => t.appData.direction === 'send');
    if (!transport) throw new Error('no send transport');
    const producer = await transport.produce({ kind, rtpParameters: sendRtpParameters(kind, routerCaps()) as never, appData: { source: kind === 'audio' ? 'mic' : 'webcam', peerId: m.peer.id } });
    m.peer.producers.set(producer.id, producer);
    producer.observer.once('close', () => m.peer.producers.delete(producer.id));
    return producer;
  }

  /** Consumers of `producer` as the router reports them (the worker's view, not the peers' maps). */
  async function routerConsumersOf(producer: Producer): Promise<number> {
    if (!room.media) throw new Error('the room has no media');
    const dump = await room.media.router.dump();
    return dump.mapProducerIdConsumerIds.find((e) => e.key === producer.id)?.values.length ?? 0;
  }

  const consumerOf = (m: Member, producer: Producer) => [...m.peer.consumers.values()].find((c) => c.producerId === producer.id);
  const consumerIdOf = (m: Member, producer: Producer): string => consumerOf(m, producer)?.id ?? 'none';

  it('gives a new producer to every other joined peer that can receive it, paused until its client answered', async () => {
    const alice = await member({ send: true, recv: false });
    const bob = await member();
    const carol = await member();
    const pausedWhenOffered: boolean[] = [];
    for (const m of [bob, carol]) {
      m.channel.answer = async (_method, data) => {
        pausedWhenOffered.push(m.peer.consumers.get((data as { id: string }).id)?.paused ?? false);
        return {};
      };
    }
    const producer = await produce(alice, 'video');
    subscriptions.fanOut(room, alice.peer, producer);

    await eventually(() => [bob, carol].every((m) => consumerOf(m, producer)?.paused === false), 'both consumers to be resumed');
    for (const m of [bob, carol]) {
      const offered = m.channel.requestsOf('newConsumer');
      expect(offered).toHaveLength(1);
      expect(offered[0]).toMatchObject({ peerId: alice.peer.id, producerId: producer.id, kind: 'video', id: consumerOf(m, producer)?.id, appData: { source: 'webcam' } });
    }
    // Created paused: the client had its consumer before any RTP could flow.
    expect(pausedWhenOffered).toEqual([true, true]);
    expect(alice.channel.requests).toEqual([]);
    expect(await routerConsumersOf(producer)).toBe(2);
  });

  it('resumes a consumer only once the client answered newConsumer', async () => {
    const alice = await member({ send: true, recv: false });
    const bob = await member();
    let answer!: () => void;
    bob.channel.answer = () => new Promise((resolve) => (answer = () => resolve({})));
    const producer = await produce(alice, 'audio');
    subscriptions.fanOut(room, alice.peer, producer);

    await eventually(() => bob.channel.requestsOf('newConsumer').length === 1, 'the newConsumer request');
    await new Promise((r) => setTimeout(r, 50));
    expect(consumerOf(bob, producer)?.paused).toBe(true);
    answer();
    await eventually(() => consumerOf(bob, producer)?.paused === false, 'the consumer to be resumed');
  });

  it('skips peers that cannot consume: no recv transport, no or unsuitable capabilities, not joined', async () => {
    const alice = await member({ send: true, recv: false });
    const audioOnlyCaps = { ...routerCaps(), codecs: routerCaps().codecs?.filter((c) => c.kind === 'audio') };
    const audioOnly = await member({ caps: audioOnlyCaps });
    const noTransport = await member({ recv: false });
    const noCaps = await member({ caps: null });
    const lobby = await member({ joined: false });
    const bob = await member();

    // Audio first: test/support/rtp.ts gives video's RTX the next SSRC, which the real worker refuses for a later track.
    const audio = await produce(alice, 'audio');
    const video = await produce(alice, 'video');
    subscriptions.fanOut(room, alice.peer, video);
    subscriptions.fanOut(room, alice.peer, audio);
    await eventually(() => consumerOf(bob, video)?.paused === false && consumerOf(bob, audio)?.paused === false, 'bob’s consumers');
    await eventually(() => consumerOf(audioOnly, audio)?.paused === false, 'the audio-only peer’s audio consumer');

    expect(audioOnly.channel.requestsOf('newConsumer').map((r) => r.kind)).toEqual(['audio']);
    for (const m of [noTransport, noCaps, lobby]) {
      expect(m.channel.requests).toEqual([]);
      expect(m.peer.consumers.size).toBe(0);
    }
    expect(await routerConsumersOf(video)).toBe(1);
    expect(await routerConsumersOf(audio)).toBe(2);
  });

  it('closes the consumer and tells the client when it refuses newConsumer', async () => {
    const alice = await member({ send: true, recv: false });
    const bob = await member();
    bob.channel.answer = () => Promise.reject(new Error('client could not set up the track'));
    const producer = await produce(alice, 'video');
    subscriptions.fanOut(room, alice.peer, producer);

    await eventually(() => bob.channel.notificationsOf('consumerClosed').length === 1, 'consumerClosed');
    const offered = bob.channel.requestsOf('newConsumer')[0];
    expect(bob.channel.notificationsOf('consumerClosed')).toEqual([{ consumerId: offered.id }]);
    expect(bob.peer.consumers.size).toBe(0);
    await eventually(async () => (await routerConsumersOf(producer)) === 0, 'the worker to drop the consumer');
  });

  it('consumes what is already in the room on consumeAll, once however often it is called', async () => {
    const alice = await member({ send: true, recv: false });
    const dave = await member({ send: true, recv: false });
    const producers = [await produce(alice, 'audio'), await produce(alice, 'video'), await produce(dave, 'audio')];
    const bob = await member();

    // A join, a recv transport and a resume can each start one; simultaneous ones must not double up.
    await Promise.all([subscriptions.consumeAll(bob.peer), subscriptions.consumeAll(bob.peer)]);
    await subscriptions.consumeAll(bob.peer);

    expect(bob.peer.consumers.size).toBe(3);
    expect(new Set([...bob.peer.consumers.values()].map((c) => c.producerId))).toEqual(new Set(producers.map((p) => p.id)));
    expect(bob.channel.requestsOf('newConsumer')).toHaveLength(3);
    for (const p of producers) expect(await routerConsumersOf(p)).toBe(1);
    // And the fan-out of a producer bob already consumes adds nothing.
    subscriptions.fanOut(room, alice.peer, producers[0]);
    await new Promise((r) => setTimeout(r, 50));
    expect(bob.channel.requestsOf('newConsumer')).toHaveLength(3);
  });

  it('does nothing on consumeAll for a peer that has not joined', async () => {
    const alice = await member({ send: true, recv: false });
    await produce(alice, 'audio');
    const lobby = await member({ joined: false });
    await subscriptions.consumeAll(lobby.peer);
    expect(lobby.channel.requests).toEqual([]);
    expect(lobby.peer.consumers.size).toBe(0);
  });

  it('closes the consumers when their producer closes, with consumerClosed to each client', async () => {
    const alice = await member({ send: true, recv: false });
    const bob = await member();
    const carol = await member();
    const producer = await produce(alice, 'video');
    subscriptions.fanOut(room, alice.peer, producer);
    await eventually(() => [bob, carol].every((m) => consumerOf(m, producer)?.paused === false), 'consumers');
    const ids = [bob, carol].map((m) => consumerIdOf(m, producer));

    producer.close();

    await eventually(() => [bob, carol].every((m) => m.channel.notificationsOf('consumerClosed').length === 1), 'consumerClosed');
    expect(bob.channel.notificationsOf('consumerClosed')).toEqual([{ consumerId: ids[0] }]);
    expect(carol.channel.notificationsOf('consumerClosed')).toEqual([{ consumerId: ids[1] }]);
    expect(bob.peer.consumers.size + carol.peer.consumers.size).toBe(0);
  });

  it('tells the consumer’s client when the producer pauses and resumes', async () => {
    const alice = await member({ send: true, recv: false });
    const bob = await member();
    const producer = await produce(alice, 'audio');
    subscriptions.fanOut(room, alice.peer, producer);
    await eventually(() => consumerOf(bob, producer)?.paused === false, 'the consumer');
    const consumerId = consumerIdOf(bob, producer);

    await producer.pause();
    await eventually(() => bob.channel.notificationsOf('consumerPaused').length === 1, 'consumerPaused');
    await producer.resume();
    await eventually(() => bob.channel.notificationsOf('consumerResumed').length === 1, 'consumerResumed');
    expect(bob.channel.notificationsOf('consumerPaused')).toEqual([{ consumerId }]);
    expect(bob.channel.notificationsOf('consumerResumed')).toEqual([{ consumerId }]);
  });

  it('closes a consumer whose peer left while the client was being asked', async () => {
    const alice = await member({ send: true, recv: false });
    const bob = await member();
    let answer!: () => void;
    bob.channel.answer = () => new Promise((resolve) => (answer = () => resolve({})));
    const producer = await produce(alice, 'video');
    subscriptions.fanOut(room, alice.peer, producer);
    await eventually(() => bob.channel.requestsOf('newConsumer').length === 1, 'newConsumer');

    rooms.exit(bob.peer);
    answer();
    await eventually(async () => (await routerConsumersOf(producer)) === 0, 'the consumer to be gone');
    expect(bob.peer.consumers.size).toBe(0);
  });
});
