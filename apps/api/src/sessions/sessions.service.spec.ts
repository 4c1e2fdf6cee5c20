import { CLOSE_CODES, PROTOCOL_VERSION, type AuthenticateResult, type RtpCapabilities } from '@confer/signaling-contracts';
import { AuthService } from '../auth/auth.service';
import { ProducersService } from '../media/producers.service';
import { TransportsService } from '../media/transports.service';
import type { Peer } from '../peers/peer';
import { BACKLOG_LIMIT } from '../peers/peer-link';
import { RoomsService } from '../rooms/rooms.service';
import { createApiTesting, type ApiTesting } from '../testing/api-testing-module';
import { eventually, RecordingChannel } from '../testing/test-peers';
import { sendRtpParameters } from '../../test/support/rtp';
import { SessionsService } from './sessions.service';

const GRACE_MS = 300;

interface Connected {
  peer: Peer;
  channel: RecordingChannel;
  result: AuthenticateResult;
}

describe('SessionsService', () => {
  let api: ApiTesting;
  let sessions: SessionsService;
  let rooms: RoomsService;
  let auth: AuthService;
  let n = 0;

  beforeAll(async () => {
    api = await createApiTesting({ env: { RESUME_GRACE_MS: String(GRACE_MS), ROOM_DEFAULT_LOBBY: 'false' } });
    sessions = api.get(SessionsService);
    rooms = api.get(RoomsService);
    auth = api.get(AuthService);
  });

  afterAll(() => api?.close());

  afterEach(async () => {
    if (!sessions) return;
    for (const peer of sessions.all()) sessions.disconnected(peer);
    // No test leaves a session, a room or a mediasoup object behind.
    await eventually(() => sessions.all().length === 0 && rooms.all().length === 0, 'sessions and rooms to be gone');
    expect(api.fake?.dump()).toMatchObject({ router: 0, transport: 0, producer: 0, consumer: 0, rtpObserver: 0 });
  });

  const identity = (name: string): string => `${name}-${++n}`;

  async function connect(subject: string, resumeSessionId?: string, channel = new RecordingChannel()): Promise<Connected> {
    const token = await auth.sign({ sub: subject, name: subject, rooms: ['*'], grants: { canPublish: true, canSubscribe: true, canPublishData: true, roomAdmin: false } });
    const { peer, result } = await sessions.authenticate(channel, { token, protocolVersion: PROTOCOL_VERSION, ...(resumeSessionId ? { resumeSessionId } : {}) });
    return { peer, channel, result };
  }

  /** getRouterRtpCapabilities, a recv (and optionally a send) transport, join: the mediasoup-client flow. */
  async function join(c: Connected, roomId: string, options: { send?: boolean } = {}): Promise<{ peers: string[]; caps: RtpCapabilities }> {
    const { rtpCapabilities: caps } = await sessions.getRouterRtpCapabilities(c.peer, { roomId });
    const transports = api.get(TransportsService);
    if (options.send) await transports.createWebRtcTransport(c.peer, { direction: 'send' });
    await transports.createWebRtcTransport(c.peer, { direction: 'recv' });
    const result = await sessions.join(c.peer, { roomId, displayName: c.peer.id, device: { flag: 'test', name: 'jest' }, rtpCapabilities: caps });
    // Only `peers` is asserted: the rest of the join result is being extended.
    return { peers: result.peers.map((p) => p.id), caps };
  }

  describe('authenticate', () => {
    it('creates a peer for the token’s identity and a session to resume', async () => {
      const subject = identity('alice');
      const { peer, channel, result } = await connect(subject);
      expect(result).toMatchObject({ peerId: subject, resumed: false, protocolVersion: PROTOCOL_VERSION });
      expect(result.sessionId).toEqual(expect.any(String));
      expect(peer.sessionId).toBe(result.sessionId);
      expect(sessions.get(subject)).toBe(peer);
      expect(peer.channel.connection).toBe(channel);
      expect(peer.roomId).toBeNull();
    });

    it('gives a subject that is not a plain id a stable hashed peer id', async () => {
      const subject = `https://idp.example/users/${identity('x')}?tenant=1`;
      const first = await connect(subject);
      expect(first.result.peerId).toMatch(/^p-[0-9a-f]{24}$/);
      const second = await connect(subject);
      expect(second.result.peerId).toBe(first.result.peerId);
    });

    it('refuses an unsupported protocol version, naming its own, and creates nothing', async () => {
      const subject = identity('old-client');
      const token = await auth.sign({ sub: subject });
      await expect(sessions.authenticate(new RecordingChannel(), { token, protocolVersion: PROTOCOL_VERSION + 1 })).rejects.toMatchObject({
        code: 'unsupported_version',
        details: { serverVersion: PROTOCOL_VERSION },
      });
      expect(sessions.get(subject)).toBeUndefined();
    });

    it('refuses a token it cannot verify with unauthenticated', async () => {
      await expect(sessions.authenticate(new RecordingChannel(), { token: 'not-a-jwt', protocolVersion: PROTOCOL_VERSION })).rejects.toMatchObject({ code: 'unauthenticated' });
      expect(sessions.all()).toEqual([]);
    });

    it('replaces the older connection of the same identity: closed with the replaced code, its peer out of the room', async () => {
      const subject = identity('alice');
      const old = await connect(subject);
      const bob = await connect(identity('bob'));
      const roomId = identity('room');
      await join(old, roomId);
      await join(bob, roomId);

      const fresh = await connect(subject);

      expect(old.channel.closedWith?.code).toBe(CLOSE_CODES.replaced);
      expect(fresh.peer).not.toBe(old.peer);
      expect(fresh.result.resumed).toBe(false);
      expect(fresh.result.sessionId).not.toBe(old.result.sessionId);
      expect(sessions.get(subject)).toBe(fresh.peer);
      expect(old.peer.closed).toBe(true);
      expect(old.peer.transports.size).toBe(0);
      expect(fresh.peer.roomId).toBeNull();
      expect(bob.channel.notificationsOf('peerLeft')).toEqual([{ peerId: subject }]);
      expect([...(rooms.get(roomId)?.peers.keys() ?? [])]).toEqual([bob.peer.id]);
    });

    it('does not resume with another session’s id: that is a replacement too', async () => {
      const subject = identity('alice');
      const old = await connect(subject);
      const fresh = await connect(subject, 'not-the-session-id');
      expect(fresh.result.resumed).toBe(false);
      expect(old.channel.closedWith?.code).toBe(CLOSE_CODES.replaced);
    });
  });

  describe('join', () => {
    it('answers the peers already joined, and tells them about the newcomer', async () => {
      const roomId = identity('room');
      const alice = await connect(identity('alice'));
      const bob = await connect(identity('bob'));
      expect((await join(alice, roomId)).peers).toEqual([]);
      expect((await join(bob, roomId)).peers).toEqual([alice.peer.id]);
      expect(alice.channel.notificationsOf('peerJoined').map((p) => p.id)).toEqual([bob.peer.id]);
      expect(bob.channel.notificationsOf('peerJoined')).toEqual([]);
      await expect(sessions.join(bob.peer, { roomId, displayName: 'again', device: { flag: 'test', name: 'jest' } })).rejects.toMatchObject({ code: 'invalid_state' });
    });
  });

  describe('a dropped socket', () => {
    it('keeps a peer in a room for the grace period; a resume keeps its room and media and delivers what it missed', async () => {
      const roomId = identity('room');
      const subject = identity('alice');
      const alice = await connect(subject);
      await join(alice, roomId);
      const transportIds = [...alice.peer.transports.keys()];

      sessions.connectionLost(alice.peer, alice.channel, 1006);
      expect(sessions.get(subject)).toBe(alice.peer);
      expect(alice.peer.channel.connection).toBeNull();

      // Something happens in the room meanwhile.
      const bob = await connect(identity('bob'));
      await join(bob, roomId);

      const back = await connect(subject, alice.result.sessionId);
      expect(back.result).toMatchObject({ resumed: true, sessionId: alice.result.sessionId, peerId: subject });
      expect(back.peer).toBe(alice.peer);
      expect(alice.peer.roomId).toBe(roomId);
      expect(alice.peer.joined).toBe(true);
      expect([...alice.peer.transports.keys()]).toEqual(transportIds);
      expect(alice.peer.channel.connection).toBe(back.channel);
      expect(back.channel.notificationsOf('peerJoined').map((p) => p.id)).toEqual([bob.peer.id]);
      expect(bob.channel.notificationsOf('peerLeft')).toEqual([]);

      // The grace timer was stopped: the session outlives it.
      await new Promise((r) => setTimeout(r, GRACE_MS + 100));
      expect(sessions.get(subject)).toBe(alice.peer);
      expect(alice.peer.closed).toBe(false);
    });

    it('closes the still-open older connection with the replaced code when the session resumes on a new one', async () => {
      const subject = identity('alice');
      const alice = await connect(subject);
      const back = await connect(subject, alice.result.sessionId);
      expect(back.result.resumed).toBe(true);
      expect(alice.channel.closedWith?.code).toBe(CLOSE_CODES.replaced);
      expect(back.peer).toBe(alice.peer);
      // The old connection's close, arriving later, no longer concerns the session.
      sessions.connectionLost(alice.peer, alice.channel, 1006);
      expect(sessions.get(subject)).toBe(alice.peer);
      expect(alice.peer.channel.connection).toBe(back.channel);
    });

    it('ends the session when the grace period passes without a resume', async () => {
      const roomId = identity('room');
      const subject = identity('alice');
      const alice = await connect(subject);
      const bob = await connect(identity('bob'));
      await join(alice, roomId);
      await join(bob, roomId);

      sessions.connectionLost(alice.peer, alice.channel, 1006);
      await eventually(() => sessions.get(subject) === undefined, 'the session to end', GRACE_MS + 1000);
      expect(alice.peer.closed).toBe(true);
      expect(bob.channel.notificationsOf('peerLeft')).toEqual([{ peerId: subject }]);
      // Too late to resume: a new session starts.
      const late = await connect(subject, alice.result.sessionId);
      expect(late.result.resumed).toBe(false);
    });

    it.each([1000, 1001, 1005])('cleans up at once after the client’s intentional close %i', async (code) => {
      const roomId = identity('room');
      const subject = identity('alice');
      const alice = await connect(subject);
      await join(alice, roomId);
      sessions.connectionLost(alice.peer, alice.channel, code);
      expect(sessions.get(subject)).toBeUndefined();
      expect(alice.peer.closed).toBe(true);
      expect(rooms.get(roomId)).toBeUndefined();
    });

    it('cleans up at once a peer that is in no room, whatever the code', async () => {
      const subject = identity('alice');
      const alice = await connect(subject);
      sessions.connectionLost(alice.peer, alice.channel, 1006);
      expect(sessions.get(subject)).toBeUndefined();
    });

    it('ends the session of a detached peer whose backlog overflows', async () => {
      const roomId = identity('room');
      const subject = identity('alice');
      const alice = await connect(subject);
      await join(alice, roomId);
      sessions.connectionLost(alice.peer, alice.channel, 1006);
      for (let i = 0; i <= BACKLOG_LIMIT; i++) alice.peer.channel.notify('peerLeft', { peerId: `ghost-${i}` });
      expect(sessions.get(subject)).toBeUndefined();
      expect(alice.peer.closed).toBe(true);
      expect(rooms.get(roomId)).toBeUndefined();
    });
  });

  describe('disconnected', () => {
    it('removes the peer and everything it had: media, consumers of it elsewhere, the room once empty', async () => {
      const roomId = identity('room');
      const alice = await connect(identity('alice'));
      const bob = await connect(identity('bob'));
      const { caps } = await join(alice, roomId, { send: true });
      await join(bob, roomId, { send: true });
      const sendOf = (c: Connected): string => [...c.peer.transports.values()].find((t) => t.appData.direction === 'send')?.id ?? '';
      const producers = api.get(ProducersService);
      await producers.produce(alice.peer, { transportId: sendOf(alice), kind: 'audio', rtpParameters: sendRtpParameters('audio', caps), appData: { source: 'mic' } });
      await producers.produce(bob.peer, { transportId: sendOf(bob), kind: 'audio', rtpParameters: sendRtpParameters('audio', caps), appData: { source: 'mic' } });
      await eventually(() => alice.peer.consumers.size === 1 && bob.peer.consumers.size === 1, 'each to consume the other');
      expect(api.fake?.dump()).toMatchObject({ router: 1, transport: 4, producer: 2, consumer: 2 });

      sessions.disconnected(alice.peer);
      expect(sessions.get(alice.peer.id)).toBeUndefined();
      expect(alice.peer.transports.size + alice.peer.producers.size + alice.peer.consumers.size).toBe(0);
      // Bob's consumer of alice's producer went with it, and bob was told.
      await eventually(() => bob.peer.consumers.size === 0, 'bob’s consumer of alice to close');
      expect(bob.channel.notificationsOf('consumerClosed')).toHaveLength(1);
      expect(bob.channel.notificationsOf('peerLeft')).toEqual([{ peerId: alice.peer.id }]);
      expect(api.fake?.dump()).toMatchObject({ router: 1, transport: 2, producer: 1, consumer: 0 });

      sessions.disconnected(bob.peer);
      expect(sessions.all()).toEqual([]);
      expect(rooms.all()).toEqual([]);
      expect(api.fake?.dump()).toMatchObject({ router: 0, transport: 0, producer: 0, consumer: 0, rtpObserver: 0 });
    });

    it('fails the server requests a detached peer was still owed', async () => {
      const roomId = identity('room');
      const alice = await connect(identity('alice'));
      await join(alice, roomId);
      sessions.connectionLost(alice.peer, alice.channel, 1006);
      const owed = alice.peer.channel.request('newConsumer', {
        peerId: 'bob',
        producerId: 'p',
        id: 'c',
        kind: 'audio',
        rtpParameters: { codecs: [] },
        type: 'simple',
        appData: { source: 'mic' },
        producerPaused: false,
      });
      sessions.disconnected(alice.peer);
      await expect(owed).rejects.toMatchObject({ code: 'invalid_state' });
    });

    it('is idempotent', async () => {
      const alice = await connect(identity('alice'));
      sessions.disconnected(alice.peer);
      expect(() => sessions.disconnected(alice.peer)).not.toThrow();
      expect(sessions.all()).toEqual([]);
    });
  });
});
