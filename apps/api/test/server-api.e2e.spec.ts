import { SignJWT } from 'jose';
import { fakeBackend } from './support/backends';
import { databaseBackends, postgresBin, startPostgres, type PostgresServer } from './support/postgres-server';
import { joinRoom, produce } from './support/scenario';
import type { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';
import { WebhookReceiver } from './support/webhook-receiver';

const KEY = 'portal';
const SECRET = 's'.repeat(40);
const OLD_KEY = 'portal-2025';
const OLD_SECRET = 'o'.repeat(40);
const HOOK_SECRET = 'h'.repeat(40);

function apiToken(key = KEY, secret = SECRET, opts: { ttl?: number; iat?: number } = {}): Promise<string> {
  const iat = opts.iat ?? Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(key).setIssuedAt(iat).setExpirationTime(iat + (opts.ttl ?? 300)).sign(new TextEncoder().encode(secret));
}

describe.each(databaseBackends())('server API, webhooks and audit on the $name database', ({ name, available, why }) => {
  let pg: PostgresServer | undefined;
  let server: TestServer;
  let receiver: WebhookReceiver;
  const clients: TestClient[] = [];

  // Response bodies are read field by field in the assertions.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const call = async (method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any }> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const t = token === undefined ? await apiToken() : token;
    if (t) headers['authorization'] = `Bearer ${t}`;
    const res = await fetch(`${server.httpUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  const client = async (sub: string, role: string): Promise<TestClient> => {
    const c = await server.client(sub, { role: role as 'host' });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    if (available && name === 'postgres') pg = await startPostgres(postgresBin() as string);
  }, 60_000);
  afterAll(() => pg?.stop());

  beforeEach(async () => {
    if (!available) return;
    receiver = new WebhookReceiver(HOOK_SECRET);
    const hook = await receiver.start();
    server = await TestServer.start(fakeBackend, {
      API_KEYS: `${KEY}:${SECRET},${OLD_KEY}:${OLD_SECRET}`,
      WEBHOOK_URLS: hook,
      WEBHOOK_SECRET: HOOK_SECRET,
      WEBHOOK_RETRY_BASE_MS: '50',
      ...(pg ? { DATABASE_URL: pg.url } : {}),
    });
  });
  afterEach(async () => {
    if (!available) return;
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
    await receiver.stop();
  });

  const it_ = available ? it : it.skip;
  if (!available) it.skip(`skipped: ${why}`, () => undefined);

  it_('authenticates with a short-lived JWT per API key (two keys for rotation); everything else is 401 with a typed body', async () => {
    expect((await call('GET', '/api/v1/rooms')).status).toBe(200);
    expect((await call('GET', '/api/v1/rooms', undefined, await apiToken(OLD_KEY, OLD_SECRET))).status).toBe(200);
    const refusals = [
      null,
      'not-a-jwt',
      await apiToken(KEY, 'x'.repeat(40)),
      await apiToken('unknown', SECRET),
      await apiToken(KEY, SECRET, { iat: Math.floor(Date.now() / 1000) - 4000 }),
      await apiToken(KEY, SECRET, { ttl: 7200 }),
    ];
    for (const token of refusals) {
      const res = await call('GET', '/api/v1/rooms', undefined, token);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, code: 'unauthenticated', reason: expect.any(String) });
      expect(JSON.stringify(res.body)).not.toContain(SECRET);
    }
  });

  it_('creates a room with its policy, refuses a duplicate and bad input, lists, changes and deletes it', async () => {
    const created = await call('POST', '/api/v1/rooms', { roomId: 'board', settings: { lobby: true, capacity: 5, participantPermissions: { sendFiles: false } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ roomId: 'board', created: true, live: false, settings: { lobby: true, locked: false, capacity: 5, participantPermissions: { sendFiles: false, chat: true } } });
    expect((await call('POST', '/api/v1/rooms', { roomId: 'board' })).body).toMatchObject({ statusCode: 409, code: 'conflict' });
    for (const bad of [{ roomId: 'a b' }, { roomId: 'x', settings: { lobby: 'yes' } }, { roomId: 'x', extra: 1 }, { roomId: 'x', settings: { participantPermissions: { fly: true } } }]) {
      expect((await call('POST', '/api/v1/rooms', bad)).body).toMatchObject({ statusCode: 400, code: 'invalid_request' });
    }
    // What fails before a route runs is answered the same way.
    const raw = async (body: string): Promise<{ status: number; body: unknown }> => {
      const res = await fetch(`${server.httpUrl}/api/v1/rooms`, { method: 'POST', headers: { authorization: `Bearer ${await apiToken()}`, 'content-type': 'application/json' }, body });
      return { status: res.status, body: await res.json() };
    };
    expect(await raw('{not json')).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    expect(await raw(`{"roomId":"${'x'.repeat(300_000)}"}`)).toMatchObject({ status: 413, body: { code: 'limit_exceeded' } });
    expect((await call('GET', '/api/v1/nothing-here')).body).toMatchObject({ statusCode: 404, code: 'not_found' });
    expect((await call('GET', '/api/v1/rooms')).body.map((r: { roomId: string }) => r.roomId)).toEqual(['board']);
    expect((await call('PATCH', '/api/v1/rooms/board', { locked: true })).body).toMatchObject({ settings: { locked: true, lobby: true } });
    expect((await call('GET', '/api/v1/rooms/nope')).body).toMatchObject({ statusCode: 404, code: 'not_found' });
    expect((await call('DELETE', '/api/v1/rooms/board')).status).toBe(204);
    expect((await call('GET', '/api/v1/rooms/board')).status).toBe(404);
  });

  it_('runs a meeting: lobby admit, participants, mute, permissions, message, removal, end; all audited, in the history and delivered as signed webhooks', async () => {
    await call('POST', '/api/v1/rooms', { roomId: 'weekly', settings: { lobby: true } });
    const host = await client('hana', 'host');
    const ann = await client('ann', 'participant');
    await joinRoom(host, 'weekly');
    const a = await joinRoom(ann, 'weekly');
    expect((await call('GET', '/api/v1/rooms/weekly/participants')).body).toEqual([
      expect.objectContaining({ peerId: 'hana', role: 'host', state: 'joined' }),
      expect.objectContaining({ peerId: 'ann', role: 'participant', state: 'waiting' }),
    ]);
    expect((await call('POST', '/api/v1/rooms/weekly/lobby/admit', { peerId: 'ann' })).body).toEqual({ affected: 1 });
    await ann.waitForNotification('lobbyDecision');
    await ann.request('join', { roomId: 'weekly', displayName: 'ann', device: { flag: 'test', name: 'jest' }, rtpCapabilities: a.caps });
    const mic = await produce(a, 'audio');

    expect((await call('POST', '/api/v1/rooms/weekly/participants/ann/mute', { source: 'mic' })).body).toEqual({ affected: 1 });
    expect(await ann.waitForNotification('producerPausedByModerator')).toEqual({ producerId: mic, source: 'mic', by: null });
    expect((await ann.requestError('resumeProducer', { producerId: mic })).code).toBe('forbidden');
    const patched = await call('PATCH', '/api/v1/rooms/weekly/participants/ann', { permissions: { publishAudio: true, chat: false } });
    expect(patched.body).toMatchObject({ peerId: 'ann', permissions: { publishAudio: true, chat: false }, tracks: [{ producerId: mic, kind: 'audio', source: 'mic', paused: true }] });
    expect((await ann.requestError('chatMessage', { text: 'hi' })).code).toBe('forbidden');

    expect((await call('POST', '/api/v1/rooms/weekly/messages', { text: 'Recording starts at 10', fromName: 'Portal bot' })).status).toBe(201);
    expect(await host.waitForNotification('chatMessage')).toMatchObject({ peerId: 'server', displayName: 'Portal bot', text: 'Recording starts at 10' });

    expect((await call('POST', '/api/v1/rooms/weekly/participants/ann/remove', { reason: 'left the company' })).body).toEqual({ affected: 1 });
    expect(await ann.waitForNotification('removed')).toEqual({ reason: 'left the company', by: null });
    expect((await call('POST', '/api/v1/rooms/weekly/participants/ann/mute', { source: 'mic' })).body).toMatchObject({ code: 'not_found' });
    const room = (await call('GET', '/api/v1/rooms/weekly')).body;
    expect(room).toMatchObject({ live: true, participants: 1, meetingId: expect.any(String) });
    expect((await call('POST', '/api/v1/rooms/weekly/end', { reason: 'done' })).body).toEqual({ affected: 1 });
    expect(await host.waitForNotification('meetingEnded')).toEqual({ reason: 'done', by: null });

    // The audit trail: API calls and moderation acts, with the key as actor.
    await host.until(() => false, 'settle', 300).catch(() => undefined);
    const audit = (await call('GET', '/api/v1/audit?roomId=weekly&limit=200')).body;
    const actions = audit.items.map((e: { action: string; outcome: string }) => `${e.action}:${e.outcome}`);
    for (const expected of ['lobby.admit:ok', 'moderation.mute:ok', 'moderation.set_permissions:ok', 'moderation.send_message:ok', 'moderation.remove:ok', 'moderation.mute:not_found', 'moderation.end_meeting:ok', 'participant.joined:ok', 'participant.left:ok']) {
      expect(actions).toContain(expected);
    }
    expect(audit.items.find((e: { action: string }) => e.action === 'moderation.remove').actor).toEqual({ kind: 'api', id: KEY });
    expect(actions.some((a: string) => a.startsWith('api.POST /api/v1/rooms/:roomId/participants/:peerId/mute'))).toBe(true);
    const page1 = (await call('GET', '/api/v1/audit?roomId=weekly&limit=3')).body;
    const page2 = (await call('GET', `/api/v1/audit?roomId=weekly&limit=3&cursor=${page1.nextCursor}`)).body;
    expect(page1.items).toHaveLength(3);
    expect(Number(page2.items[0].id)).toBeLessThan(Number(page1.items[2].id));
    expect((await call('GET', '/api/v1/audit?limit=0')).body).toMatchObject({ code: 'invalid_request' });

    // Meeting history.
    const meetings = (await call('GET', '/api/v1/meetings?roomId=weekly')).body;
    expect(meetings.items).toHaveLength(1);
    const meeting = (await call('GET', `/api/v1/meetings/${meetings.items[0].id}`)).body;
    expect(meeting).toMatchObject({ roomId: 'weekly', endReason: 'ended', endedAt: expect.any(String) });
    expect(meeting.participants.map((p: { subject: string; leftReason: string }) => [p.subject, p.leftReason])).toEqual([
      ['hana', 'meeting_ended'],
      ['ann', 'removed'],
    ]);

    // Webhooks: every one signed; the meeting's story in order.
    await host.until(() => receiver.types().includes('room.finished'), 'room.finished delivered', 5000);
    expect(receiver.received.every((r) => r.verdict === null)).toBe(true);
    for (const type of ['room.started', 'participant.joined', 'lobby.waiting', 'lobby.admitted', 'track.published', 'moderation.performed', 'participant.left', 'room.finished']) {
      expect(receiver.types()).toContain(type);
    }
    expect(receiver.accepted().map((r) => r.payload).find((e) => e.event.type === 'moderation.performed' && (e.event as { action: string }).action === 'remove')?.event).toMatchObject({ roomId: 'weekly', target: 'ann', by: { kind: 'api', id: KEY } });
    const deliveries = (await call('GET', '/api/v1/webhooks/deliveries?limit=200')).body;
    expect(deliveries.items.every((d: { outcome: string; statusCode: number }) => d.outcome === 'delivered' && d.statusCode === 200)).toBe(true);
  });

  it_('a webhook endpoint that fails and recovers gets the event on a retry; the delivery log shows it', async () => {
    receiver.script = [503, 503];
    const host = await client('hana', 'host');
    await joinRoom(host, 'r', { send: false, recv: false });
    await host.until(() => receiver.types().includes('participant.joined'), 'delivered after retries', 8000);
    // The delivery log is written after the delivery (on the database's thread): wait for its row.
    type Delivery = { eventType: string; attempt: number; outcome: string };
    let log: Delivery[] = [];
    for (let i = 0; i < 50; i++) {
      log = (await call('GET', '/api/v1/webhooks/deliveries?limit=50')).body.items as Delivery[];
      if (log.some((d) => d.eventType === 'room.started' && d.outcome === 'delivered')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const first = log.find((d) => d.eventType === 'room.started' && d.attempt === 1);
    expect(first).toMatchObject({ outcome: 'retrying', statusCode: 503 });
    expect(log.some((d) => d.eventType === 'room.started' && d.outcome === 'delivered')).toBe(true);
  });

  it_('serves its OpenAPI document and Swagger UI', async () => {
    const doc = (await fetch(`${server.httpUrl}/api/openapi.json`).then((r) => r.json())) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/rooms', '/api/v1/rooms/{roomId}/participants/{peerId}/mute', '/api/v1/audit', '/api/v1/webhooks/deliveries']));
    expect((await fetch(`${server.httpUrl}/api/docs`)).status).toBe(200);
  });
});

describe('server API without API_KEYS', () => {
  it('answers 503 with a typed body', async () => {
    const server = await TestServer.start(fakeBackend);
    try {
      const res = await fetch(`${server.httpUrl}/api/v1/rooms`, { headers: { authorization: `Bearer ${await apiToken()}` } });
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ code: 'invalid_state', reason: expect.stringMatching(/API_KEYS/) });
    } finally {
      await server.stop();
    }
  });
});
