import type { JoinResult } from '@confer/signaling-contracts';
import { AuditLogService } from '../src/history/audit-log.service';
import { backends, backendsBanner, type Backend } from './support/backends';
import { joinRoom, produce } from './support/scenario';
import { sendRtpParameters } from './support/rtp';
import type { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

beforeAll(() => console.log(backendsBanner));

/** Everything a moderator can do, and everything a participant cannot, over signaling. */
describe.each(backends.map((b) => [b.name, b] as const))('moderation against the %s', (_name, backend: Backend) => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const client = async (sub: string, role: 'host' | 'moderator' | 'participant' | 'viewer', claims: Record<string, unknown> = {}): Promise<TestClient> => {
    const c = await server.client(sub, { role, ...claims });
    clients.push(c);
    return c;
  };
  const join = (c: TestClient, roomId = 'm'): Promise<JoinResult> =>
    c.request('join', { roomId, displayName: c.peerId, device: { flag: 'test', name: 'jest' } });

  beforeEach(async () => {
    server = await TestServer.start(backend, { REMOVAL_BAN_S: '60' });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.expectClean();
    await server.stop();
  });

  it('join tells each peer its role, permissions and the room settings; others see the role', async () => {
    const host = await client('hana', 'host');
    const viewer = await client('vic', 'viewer');
    const h = await join(host);
    expect(h).toMatchObject({ waiting: false, self: { role: 'host', permissions: { publishAudio: true, chat: true } }, settings: { lobby: false, locked: false } });
    const v = await join(viewer);
    expect(v.self).toEqual({ role: 'viewer', permissions: { publishAudio: false, publishVideo: false, publishScreen: false, chat: true, sendFiles: false } });
    expect(v.peers).toEqual([expect.objectContaining({ id: 'hana', role: 'host' })]);
    expect(await host.waitForNotification('peerJoined')).toMatchObject({ id: 'vic', role: 'viewer' });
  });

  it('lobby: a joiner waits unseen; the host admits one and denies another; the lobby list follows', async () => {
    const host = await client('hana', 'host');
    await join(host);
    expect(await host.request('updateRoomSettings', { lobby: true })).toMatchObject({ lobby: true });
    const ann = await client('ann', 'participant');
    const waiting = await join(ann);
    expect(waiting).toMatchObject({ waiting: true, peers: [], lobby: [] });
    // Waiting: no participants, no chat, not visible to the host as a peer.
    expect((await ann.requestError('chatMessage', { text: 'hi' })).code).toBe('invalid_state');
    const listed = await host.waitForNotification('lobbyChanged', (n) => n.waiting.length === 1);
    expect(listed.waiting).toEqual([{ peerId: 'ann', displayName: 'ann', since: expect.any(Number) }]);
    expect(host.notificationsOf('peerJoined')).toHaveLength(0);
    // A second join while waiting is the same answer, not a second entry.
    expect(await join(ann)).toMatchObject({ waiting: true });

    const bob = await client('bob', 'participant');
    await join(bob);
    await host.waitForNotification('lobbyChanged', (n) => n.waiting.length === 2);

    expect(await host.request('lobbyAdmit', { peerId: 'ann' })).toEqual({ affected: 1 });
    expect(await ann.waitForNotification('lobbyDecision')).toEqual({ admitted: true });
    const joined = await join(ann);
    expect(joined).toMatchObject({ waiting: false, peers: [expect.objectContaining({ id: 'hana' })] });
    expect(await host.waitForNotification('peerJoined')).toMatchObject({ id: 'ann' });

    expect(await host.request('lobbyDeny', { peerId: 'bob', reason: 'not on the list' })).toEqual({ affected: 1 });
    expect(await bob.waitForNotification('lobbyDecision')).toEqual({ admitted: false, reason: 'not on the list' });
    await host.waitForNotification('lobbyChanged', (n) => n.waiting.length === 0);
    expect(server.rooms.get('m')?.peers.has('bob')).toBe(false);
    // Denied is not banned: asking again puts bob back in the lobby.
    expect(await join(bob)).toMatchObject({ waiting: true });
    expect((await host.requestError('lobbyAdmit', { peerId: 'nobody' })).code).toBe('not_found');
  });

  it('a moderator token and a canBypassLobby grant do not wait; turning the lobby off lets everyone in', async () => {
    const host = await client('hana', 'host');
    await join(host);
    await host.request('updateRoomSettings', { lobby: true });
    expect(await join(await client('mo', 'moderator'))).toMatchObject({ waiting: false, lobby: [] });
    expect(await join(await client('vip', 'participant', { grants: { canPublish: true, canSubscribe: true, canBypassLobby: true } }))).toMatchObject({ waiting: false });
    const ann = await client('ann', 'participant');
    expect(await join(ann)).toMatchObject({ waiting: true });
    await host.request('updateRoomSettings', { lobby: false });
    expect(await ann.waitForNotification('lobbyDecision')).toEqual({ admitted: true });
    expect(await join(ann)).toMatchObject({ waiting: false });
  });

  it('a locked room refuses newcomers but not moderators', async () => {
    const host = await client('hana', 'host');
    await join(host);
    await host.request('updateRoomSettings', { locked: true });
    const late = await client('late', 'participant');
    const refused = await late.requestError('join', { roomId: 'm', displayName: 'late', device: { flag: 'test', name: 'jest' } });
    expect(refused).toMatchObject({ code: 'forbidden', details: { reason: 'locked' } });
    expect((await late.requestError('getRouterRtpCapabilities', { roomId: 'm' })).code).toBe('forbidden');
    expect(await join(await client('mo', 'moderator'))).toMatchObject({ waiting: false });
  });

  it('hard mute: the producer is paused server-side and the participant cannot resume it until allowed', async () => {
    const host = await client('hana', 'host');
    const ann = await client('ann', 'participant');
    await joinRoom(host, 'm');
    const a = await joinRoom(ann, 'm');
    const mic = await produce(a, 'audio');
    await host.until(() => host.serverRequestsOf('newConsumer').some((c) => c.producerId === mic), 'host consumes ann');
    const consumerId = host.serverRequestsOf('newConsumer').find((c) => c.producerId === mic)?.id;

    expect(await host.request('muteParticipant', { peerId: 'ann', source: 'mic' })).toEqual({ affected: 1 });
    expect(await ann.waitForNotification('producerPausedByModerator')).toEqual({ producerId: mic, source: 'mic', by: 'hana' });
    expect(await ann.waitForNotification('permissionsChanged')).toMatchObject({ role: 'participant', permissions: { publishAudio: false, publishVideo: true }, by: 'hana' });
    expect(await host.waitForNotification('consumerPaused', (n) => n.consumerId === consumerId)).toBeTruthy();
    expect(server.peers.get('ann')?.producers.get(mic)?.paused).toBe(true);

    // The participant's own attempts are refused while the mute holds.
    expect(await ann.requestError('resumeProducer', { producerId: mic })).toMatchObject({ code: 'forbidden', details: { permission: 'publishAudio' } });
    const again = await ann.requestError('produce', { transportId: a.sendTransportId as string, kind: 'audio', rtpParameters: sendRtpParameters('audio', a.caps), appData: { source: 'mic' } });
    expect(again.code).toBe('forbidden');
    expect(server.peers.get('ann')?.producers.get(mic)?.paused).toBe(true);

    // Given back: the participant may unmute (the server does not do it for them).
    await host.request('setPermissions', { peerId: 'ann', permissions: { publishAudio: true } });
    await ann.waitForNotification('permissionsChanged', (n) => n.permissions.publishAudio);
    expect(server.peers.get('ann')?.producers.get(mic)?.paused).toBe(true);
    await ann.request('resumeProducer', { producerId: mic });
    expect(await host.waitForNotification('consumerResumed', (n) => n.consumerId === consumerId)).toBeTruthy();
  });

  it('stopping a screen share closes it; mute all spares moderators', async () => {
    const host = await client('hana', 'host');
    const mo = await client('mo', 'moderator');
    const ann = await client('ann', 'participant');
    await joinRoom(host, 'm');
    const m = await joinRoom(mo, 'm');
    const a = await joinRoom(ann, 'm');
    const annMic = await produce(a, 'audio');
    const screen = await ann.request('produce', { transportId: a.sendTransportId as string, kind: 'video', rtpParameters: sendRtpParameters('video', a.caps), appData: { source: 'screen' } });
    const moMic = await produce(m, 'audio');
    await host.request('muteParticipant', { peerId: 'ann', source: 'screen' });
    expect(await ann.waitForNotification('producerClosedByModerator')).toEqual({ producerId: screen.producerId, source: 'screen', by: 'hana' });
    await ann.until(() => !server.peers.get('ann')?.producers.has(screen.producerId), 'screen producer closed');

    expect(await host.request('muteAll', {})).toEqual({ affected: 1 });
    await ann.waitForNotification('producerPausedByModerator', (n) => n.producerId === annMic);
    expect(server.peers.get('ann')?.producers.get(annMic)?.paused).toBe(true);
    expect(server.peers.get('mo')?.producers.get(moMic)?.paused).toBe(false);
  });

  it('every moderation act is forbidden to participants and viewers, and the refusal is audited', async () => {
    const host = await client('hana', 'host');
    const ann = await client('ann', 'participant');
    const vic = await client('vic', 'viewer');
    await join(host);
    await join(ann);
    await join(vic);
    const acts: [string, Record<string, unknown>][] = [
      ['muteParticipant', { peerId: 'hana', source: 'mic' }],
      ['muteAll', {}],
      ['setPermissions', { peerId: 'vic', permissions: { publishAudio: true } }],
      ['setRole', { peerId: 'ann', role: 'moderator' }],
      ['removeParticipant', { peerId: 'hana' }],
      ['updateRoomSettings', { locked: true }],
      ['endMeeting', {}],
      ['lobbyAdmit', { all: true }],
      ['lobbyDeny', { all: true }],
    ];
    for (const who of [ann, vic]) {
      for (const [method, params] of acts) {
        expect((await who.requestError(method as 'muteAll', params)).code).toBe('forbidden');
      }
    }
    // Nothing a participant sends changes its own role.
    expect(server.peers.get('ann')?.role).toBe('participant');
    const audit = server.app.get(AuditLogService);
    await audit.flush();
    const refused = await audit.list({ limit: 100, roomId: 'm' });
    expect(refused.items.filter((e) => e.outcome === 'forbidden')).toHaveLength(acts.length * 2);
    expect(refused.items.find((e) => e.action === 'moderation.remove')).toMatchObject({ actor: { kind: 'participant', id: 'vic' }, target: 'hana' });
    // Viewers cannot publish at all.
    const v = await joinRoom(await client('vic2', 'viewer'), 'm', { recv: false });
    expect((await v.client.requestError('produce', { transportId: v.sendTransportId as string, kind: 'audio', rtpParameters: sendRtpParameters('audio', v.caps), appData: { source: 'mic' } })).code).toBe('forbidden');
  });

  it('promoting a participant to moderator lets it moderate; a host cannot be demoted', async () => {
    const host = await client('hana', 'host');
    const ann = await client('ann', 'participant');
    const bob = await client('bob', 'participant');
    await join(host);
    await join(ann);
    await join(bob);
    await host.request('setRole', { peerId: 'ann', role: 'moderator' });
    expect(await bob.waitForNotification('peerRoleChanged')).toEqual({ peerId: 'ann', role: 'moderator' });
    expect(await ann.waitForNotification('permissionsChanged')).toMatchObject({ role: 'moderator', permissions: { publishScreen: true } });
    expect(await ann.request('setPermissions', { peerId: 'bob', permissions: { chat: false } })).toEqual({ affected: 1 });
    expect((await bob.requestError('chatMessage', { text: 'hello' })).code).toBe('forbidden');
    expect((await ann.requestError('setRole', { peerId: 'hana', role: 'participant' })).code).toBe('forbidden');
    await host.request('setRole', { peerId: 'ann', role: 'participant' });
    expect((await ann.requestError('muteAll', {})).code).toBe('forbidden');
  });

  it('removal: the participant is told why, is out of the room, and cannot re-enter for REMOVAL_BAN_S', async () => {
    const host = await client('hana', 'host');
    const ann = await client('ann', 'participant');
    await joinRoom(host, 'm');
    const a = await joinRoom(ann, 'm');
    await produce(a, 'video');
    expect(await host.request('removeParticipant', { peerId: 'ann', reason: 'disruptive' })).toEqual({ affected: 1 });
    expect(await ann.waitForNotification('removed')).toEqual({ reason: 'disruptive', by: 'hana' });
    expect(await host.waitForNotification('peerLeft')).toEqual({ peerId: 'ann' });
    expect(server.peers.get('ann')?.roomId).toBeNull();
    const back = await ann.requestError('join', { roomId: 'm', displayName: 'ann', device: { flag: 'test', name: 'jest' } });
    expect(back).toMatchObject({ code: 'forbidden', details: { reason: 'removed' } });
    expect(back.message).toMatch(/try again in \d+ s/);
    // Another room is not affected.
    expect(await join(ann, 'elsewhere')).toMatchObject({ waiting: false });
  });

  it('end meeting: everyone is told and out; the room closes', async () => {
    const host = await client('hana', 'host');
    const ann = await client('ann', 'participant');
    await joinRoom(host, 'm');
    const a = await joinRoom(ann, 'm');
    await produce(a, 'audio');
    expect(await host.request('endMeeting', { reason: 'time is up' })).toEqual({ affected: 2 });
    for (const c of [host, ann]) expect(await c.waitForNotification('meetingEnded')).toEqual({ reason: 'time is up', by: 'hana' });
    await host.until(() => server.rooms.get('m') === undefined, 'room closed');
    // Not banned: the room can start again.
    expect(await join(ann)).toMatchObject({ waiting: false, peers: [] });
  });

  it('a media reset does not send an admitted participant back to the lobby nor lift a hard mute', async () => {
    if (!server.fake) return; // the worker death is provoked on the test double
    const host = await client('hana', 'host');
    const ann = await client('ann', 'participant');
    await join(host);
    await host.request('updateRoomSettings', { lobby: true });
    await join(ann);
    await host.request('lobbyAdmit', { peerId: 'ann' });
    await ann.waitForNotification('lobbyDecision');
    await join(ann);
    await host.request('setPermissions', { peerId: 'ann', permissions: { publishAudio: false } });
    const worker = [...server.fake.live.worker][0] as unknown as { die(): void };
    worker.die();
    await ann.waitForNotification('mediaReset');
    await host.waitForNotification('mediaReset');
    await host.until(() => server.rooms.get('m') === undefined, 'room reset');
    await join(host);
    const again = await join(ann);
    expect(again).toMatchObject({ waiting: false, self: { role: 'participant', permissions: { publishAudio: false } } });
  });
});
