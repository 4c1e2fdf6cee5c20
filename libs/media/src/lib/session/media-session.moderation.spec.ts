import { TestBed } from '@angular/core/testing';
import type { Permissions } from '@confer/signaling-contracts';
import type { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import { FakeSignalingServer, settle, until } from '../../testing/fake-signaling-server';
import { MediaTestRig } from '../../testing/media-testing';
import { ExpelledError, InvalidStateError, PermissionDeniedError } from '../errors';
import { SignalingClient } from '../signaling/signaling-client';
import { MediaSession } from './media-session';
import type { ModeratorAction } from './media-session.types';

const BOB = { id: 'bob', displayName: 'Bob', device: { flag: 'chrome', name: 'Chrome' }, role: 'participant' as const };
const ALL: Permissions = { publishAudio: true, publishVideo: true, publishScreen: true, chat: true, sendFiles: true };
/** No local transport yet (the store's initial value). */
const TRANSPORTS_BEFORE = { send: 'none', recv: 'none' };

describe('MediaSession moderation (lobby, roles, hard mute, removal)', () => {
  let server: FakeSignalingServer;
  let session: MediaSession;
  let actions: ModeratorAction[];

  beforeEach(() => {
    server = new FakeSignalingServer();
    TestBed.configureTestingModule({ providers: new MediaTestRig(server).providers() });
    session = TestBed.inject(MediaSession);
    actions = [];
    session.moderatorActions$.subscribe((a) => actions.push(a));
  });

  afterEach(async () => {
    await session.leave();
  });

  const join = () => session.join({ token: 'tok', roomId: 'room-1', displayName: 'Me' });
  const waitInLobby = () => {
    server.joinAnswer = { ...server.joinAnswer, waiting: true, settings: { ...server.joinAnswer.settings, lobby: true } };
  };
  const permissionsChanged = (patch: Partial<Permissions>, by: string | null = 'Hana') =>
    server.notify('permissionsChanged', { role: 'participant', permissions: { ...ALL, ...patch }, by });

  describe('lobby', () => {
    it('waits without peers or local transports, then joins again once admitted and creates the transports', async () => {
      waitInLobby();
      server.peers = [BOB];
      const joined = join();
      await until(() => session.waiting());
      expect(session.state()).toBe('joining');
      expect(session.remotePeers()).toEqual([]);
      // Asked for with the join (the server holds them idle); made here only once admitted.
      expect(server.requests('createWebRtcTransport').map((r) => r['direction'])).toEqual(['recv', 'send']);
      expect(session.transportStates()).toEqual(TRANSPORTS_BEFORE);

      server.joinAnswer = { ...server.joinAnswer, waiting: false };
      server.peers = [BOB];
      server.notify('lobbyDecision', { admitted: true });
      await joined;
      expect(session.state()).toBe('joined');
      expect(session.waiting()).toBe(false);
      expect(session.remotePeers()).toEqual([BOB]);
      expect(server.requests('join')).toHaveLength(2);
      expect(server.requests('createWebRtcTransport').map((r) => r['direction'])).toEqual(['recv', 'send']);
      expect(session.roomSettings()?.lobby).toBe(true);
    });

    it('denied: join() rejects with ExpelledError(denied), the session is closed with the reason and does not reconnect', async () => {
      waitInLobby();
      const joined = join();
      await until(() => session.waiting());
      server.notify('lobbyDecision', { admitted: false, reason: 'private meeting' });
      const error = await joined.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ExpelledError);
      expect(error).toMatchObject({ kind: 'denied', reason: 'private meeting' });
      expect(session.state()).toBe('closed');
      expect(session.waiting()).toBe(false);
      expect(session.expelled()).toEqual({ kind: 'denied', reason: 'private meeting', by: null });
      expect(TestBed.inject(SignalingClient).state()).toBe('closed');
      expect(server.requests('join')).toHaveLength(1);
      expect(session.transportStates()).toEqual(TRANSPORTS_BEFORE);
    });

    it('leave() while waiting ends closed (not failed); join() rejects with InvalidStateError', async () => {
      waitInLobby();
      const joined = join();
      await until(() => session.waiting());
      await session.leave();
      await expect(joined).rejects.toBeInstanceOf(InvalidStateError);
      expect(session.state()).toBe('closed');
      expect(session.error()).toBeNull();
      expect(server.requests('leave')).toHaveLength(1);
    });

    it('joins the lobby again when the socket comes back without the session, then proceeds once admitted', async () => {
      waitInLobby();
      const joined = join();
      await until(() => session.waiting());
      server.on('authenticate', () => server.session(false));
      server.socket.drop();
      await until(() => server.requests('join').length === 2);
      expect(session.waiting()).toBe(true);
      server.joinAnswer = { ...server.joinAnswer, waiting: false };
      server.notify('lobbyDecision', { admitted: true });
      await joined;
      expect(session.state()).toBe('joined');
      expect(server.requests('join')).toHaveLength(3);
    });

    it('a mediaReset rebuild with the lobby on re-joins (the server lets an admitted peer back in) and, if sent to the lobby, waits', async () => {
      server.joinAnswer = { ...server.joinAnswer, settings: { ...server.joinAnswer.settings, lobby: true } };
      await join();
      server.notify('mediaReset', { reason: 'worker died' });
      await until(() => server.requests('join').length === 2 && session.state() === 'joined' && session.recovery() === null);

      waitInLobby();
      server.notify('mediaReset', { reason: 'worker died again' });
      await until(() => session.waiting());
      expect(session.state()).toBe('reconnecting');
      server.joinAnswer = { ...server.joinAnswer, waiting: false };
      server.notify('lobbyDecision', { admitted: true });
      await until(() => session.state() === 'joined' && !session.waiting());
      expect(server.requests('join')).toHaveLength(4);
    });

    it('shows moderators the lobby from the join answer and lobbyChanged; follows settings and role changes', async () => {
      const entry = { peerId: 'carol', displayName: 'Carol', since: 1 };
      server.joinAnswer = { ...server.joinAnswer, self: { role: 'moderator', permissions: ALL }, lobby: [entry] };
      server.peers = [BOB];
      await join();
      expect(session.isModerator()).toBe(true);
      expect(session.lobby()).toEqual([entry]);
      server.notify('lobbyChanged', { waiting: [] });
      server.notify('roomSettingsChanged', { settings: { ...server.joinAnswer.settings, locked: true } });
      server.notify('peerRoleChanged', { peerId: 'bob', role: 'moderator' });
      await until(() => session.lobby().length === 0 && session.roomSettings()?.locked === true && session.remotePeers()[0].role === 'moderator');
      server.notify('permissionsChanged', { role: 'participant', permissions: ALL, by: 'Hana' });
      await until(() => !session.isModerator());
      expect(session.role()).toBe('participant');
    });
  });

  describe('hard mute', () => {
    it('pauses the mic locally, refuses unmuting until the permission returns, and does not unmute by itself', async () => {
      await join();
      await session.enableMic();
      const mic = session.localProducers()[0];
      server.notify('producerPausedByModerator', { producerId: mic.id, source: 'mic', by: 'Hana' });
      permissionsChanged({ publishAudio: false });
      await until(() => session.localProducers()[0].paused && session.permissions()?.publishAudio === false);
      expect(actions[0]).toEqual({ type: 'muted', source: 'mic', by: 'Hana' });
      expect(actions[1]).toMatchObject({ type: 'permissionsChanged', revoked: ['publishAudio'], granted: [], by: 'Hana' });
      // The server paused it: nothing is asked of it.
      expect(server.requests('pauseProducer')).toEqual([]);

      const refused = await session.unmuteMic().catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(PermissionDeniedError);
      expect(refused).toMatchObject({ name: 'PermissionDeniedError', permission: 'publishAudio' });
      expect(server.requests('resumeProducer')).toEqual([]);
      expect(session.localProducers()[0].paused).toBe(true);
      await session.enableCamera();

      permissionsChanged({});
      await until(() => session.permissions()?.publishAudio === true);
      expect(actions[2]).toMatchObject({ type: 'permissionsChanged', granted: ['publishAudio'], revoked: [] });
      expect(session.localProducers()[0].paused).toBe(true);
      await session.unmuteMic();
      expect(server.requests('resumeProducer')).toEqual([{ producerId: mic.id }]);
      expect(session.localProducers()[0].paused).toBe(false);
    });

    it('refuses enableMic while muted with the mic off, and a rebuild does not produce a hard-muted mic again', async () => {
      await join();
      await session.enableMic();
      permissionsChanged({ publishAudio: false });
      await until(() => session.localProducers()[0].paused);
      server.joinAnswer = { ...server.joinAnswer, self: { role: 'participant', permissions: { ...ALL, publishAudio: false } } };
      server.notify('mediaReset', { reason: 'worker died' });
      await until(() => server.requests('join').length === 2 && session.state() === 'joined' && session.recovery() === null);
      expect(session.localProducers()).toEqual([]);
      expect(server.requests('produce')).toHaveLength(1);
      await expect(session.enableMic()).rejects.toBeInstanceOf(PermissionDeniedError);
    });

    it('closes a screen share the moderator stopped, with its track', async () => {
      await join();
      await session.enableScreenShare();
      const screen = session.localProducers()[0];
      server.notify('producerClosedByModerator', { producerId: screen.id, source: 'screen', by: 'Hana' });
      permissionsChanged({ publishScreen: false });
      await until(() => session.localProducers().length === 0 && session.permissions()?.publishScreen === false);
      expect((screen.track as unknown as FakeMediaStreamTrack).readyState).toBe('ended');
      expect(actions[0]).toEqual({ type: 'stopped', source: 'screen', by: 'Hana' });
      await expect(session.enableScreenShare()).rejects.toBeInstanceOf(PermissionDeniedError);
    });
  });

  describe('removal and end of meeting', () => {
    it.each([
      ['removed', 'removed'],
      ['meetingEnded', 'ended'],
    ] as const)('%s closes the session with the reason and never rejoins', async (method, kind) => {
      await join();
      await session.enableMic();
      const track = session.localProducers()[0].track as unknown as FakeMediaStreamTrack;
      server.notify(method, { reason: 'disruptive', by: 'Hana' });
      await until(() => session.state() === 'closed');
      expect(session.expelled()).toEqual({ kind, reason: 'disruptive', by: 'Hana' });
      expect(session.error()).toBeInstanceOf(ExpelledError);
      expect(session.localProducers()).toEqual([]);
      expect(track.readyState).toBe('ended');
      expect(TestBed.inject(SignalingClient).state()).toBe('closed');
      const sockets = server.sockets.length;
      await settle(20);
      expect(server.sockets.length).toBe(sockets);
      expect(server.requests('join')).toHaveLength(1);
      await expect(session.enableMic()).rejects.toBeInstanceOf(InvalidStateError);
      // A new join() starts afresh.
      await join();
      expect(session.expelled()).toBeNull();
    });
  });

  describe('moderator methods', () => {
    it('send the right requests', async () => {
      server.joinAnswer = { ...server.joinAnswer, self: { role: 'host', permissions: ALL } };
      await join();
      await session.admit('carol');
      await session.admitAll();
      await session.deny('dave', 'not invited');
      await session.denyAll();
      await session.muteParticipant('bob', 'webcam');
      await session.muteAll();
      await session.muteAll('screen');
      await session.setPermissions('bob', { publishAudio: true });
      await session.setRole('bob', 'moderator');
      await session.removeParticipant('bob', 'spam');
      await expect(session.updateRoomSettings({ locked: true })).resolves.toMatchObject({ locked: true, lobby: false });
      expect(session.roomSettings()?.locked).toBe(true);
      await expect(session.endMeeting('done')).resolves.toEqual({ affected: 1 });
      const sent = server.received.map((r) => [r.method, r.data]).slice(-12);
      expect(sent).toEqual([
        ['lobbyAdmit', { peerId: 'carol' }],
        ['lobbyAdmit', { all: true }],
        ['lobbyDeny', { peerId: 'dave', reason: 'not invited' }],
        ['lobbyDeny', { all: true }],
        ['muteParticipant', { peerId: 'bob', source: 'webcam' }],
        ['muteAll', {}],
        ['muteAll', { source: 'screen' }],
        ['setPermissions', { peerId: 'bob', permissions: { publishAudio: true } }],
        ['setRole', { peerId: 'bob', role: 'moderator' }],
        ['removeParticipant', { peerId: 'bob', reason: 'spam' }],
        ['updateRoomSettings', { locked: true }],
        ['endMeeting', { reason: 'done' }],
      ]);
    });

    it('are refused locally for participants and outside a room', async () => {
      await expect(session.muteAll()).rejects.toBeInstanceOf(InvalidStateError);
      await join();
      const error = await session.removeParticipant('bob').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PermissionDeniedError);
      expect(error).toMatchObject({ permission: 'moderate' });
      await expect(session.updateRoomSettings({ lobby: true })).rejects.toBeInstanceOf(PermissionDeniedError);
      expect(server.requests('removeParticipant')).toEqual([]);
    });
  });
});
