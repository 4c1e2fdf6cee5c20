import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import type { PlainTransport, RtpParameters } from 'mediasoup/types';
import type { RecordingNotice } from '@confer/signaling-contracts';
import { EventsService } from '../src/events/events.service';
import { AuditLogService } from '../src/history/audit-log.service';
import { RECORDING_STORAGE, type RecordingStorage } from '../src/policies/recording-storage';
import { RecordingService } from '../src/recording/recording.service';
import { fakeBackend, realBackend, realWorker } from './support/backends';
import { sendRtpParameters } from './support/rtp';
import { joinRoom } from './support/scenario';
import type { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

/**
 * Who may start and stop a room's recording, what everyone is told, the room's
 * recording policy and consent, and the server API's recording routes. The
 * control scenarios run against the test double (they need ffmpeg only for the
 * availability check); consent and the `required` policy tap real RTP, so they
 * need the real worker and ffmpeg; each part is skipped with the reason otherwise.
 */
const KEY = 'portal';
const SECRET = 's'.repeat(40);
const FFMPEG = process.env['FFMPEG_PATH'] ?? 'ffmpeg';
const hasFfmpeg = spawnSync(FFMPEG, ['-hide_banner', '-version'], { stdio: 'ignore' }).status === 0;
const noFfmpeg = hasFfmpeg ? null : `no ffmpeg (${FFMPEG})`;
const noRealMedia = !realWorker.path ? `no mediasoup worker (${realWorker.detail})` : noFfmpeg;

beforeAll(() => {
  console.log(`recording control e2e: test double ${noFfmpeg ? `skipped — ${noFfmpeg}` : 'runs'}; real worker ${noRealMedia ? `skipped — ${noRealMedia}` : 'runs'}`);
});

function apiToken(): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(KEY).setIssuedAt(iat).setExpirationTime(iat + 300).sign(new TextEncoder().encode(SECRET));
}

/** The server API as the portal calls it; bodies are read field by field in the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(server: TestServer, method: string, route: string, body?: unknown): Promise<{ status: number; headers: Headers; raw: Buffer; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${await apiToken()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${server.httpUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const raw = Buffer.from(await res.arrayBuffer());
  const json = (res.headers.get('content-type') ?? '').includes('application/json') && raw.length ? JSON.parse(raw.toString('utf8')) : null;
  return { status: res.status, headers: res.headers, raw, body: json };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU seconds (user + system) of this process's children whose command line contains `marker` (the recorder's ffmpegs read SDP files from the work folder). */
async function childCpuSeconds(marker: string): Promise<{ processes: number; seconds: number }> {
  let processes = 0;
  let ticks = 0;
  for (const pid of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== process.pid) continue;
      if (!(await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(marker)) continue;
      processes++;
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // Gone meanwhile.
    }
  }
  return { processes, seconds: ticks / 100 };
}
const DEVICE = { flag: 'test', name: 'jest' };

describe('recording control (test double)', () => {
  let server: TestServer;
  let dataDir: string;
  const clients: TestClient[] = [];
  const it_ = noFfmpeg ? it.skip : it;

  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'confer-recctl-'));
    server = await TestServer.start(fakeBackend, { API_KEYS: `${KEY}:${SECRET}`, DATA_DIR: dataDir, FFMPEG_PATH: FFMPEG });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const client = async (sub: string, role: 'host' | 'moderator' | 'participant', roomId = 'rc'): Promise<TestClient> => {
    const c = await server.client(sub, { role, name: `${sub} name` });
    clients.push(c);
    await joinRoom(c, roomId, { displayName: `${sub} name` });
    return c;
  };
  const ready = () => server.app.get(RecordingService).availability();

  it_('a moderator starts and stops; a participant is refused; everyone is notified; a joiner sees the state; all of it audited', async () => {
    const host = await client('hana', 'host');
    const bob = await client('bob', 'participant');
    // ffmpeg is probed at start-up.
    await host.until(() => ready().available, 'recording available');

    const refused = await bob.requestError('startRecording', {});
    expect(refused.code).toBe('forbidden');

    const started = (await host.request('startRecording', {})) as RecordingNotice;
    expect(started).toMatchObject({ state: 'recording', startedBy: 'hana name', consentRequired: false });
    for (const c of [host, bob]) expect(await c.waitForNotification('recordingStateChanged', (n) => n.recordingId === started.recordingId)).toMatchObject({ state: 'recording' });
    expect((await host.requestError('startRecording', {})).code).toBe('invalid_state');

    // A joiner gets the notice with its join answer.
    const carol = await server.client('carol', { role: 'participant' });
    clients.push(carol);
    const { rtpCapabilities } = await carol.request('getRouterRtpCapabilities', { roomId: 'rc' });
    const joined = await carol.request('join', { roomId: 'rc', displayName: 'carol', device: DEVICE, rtpCapabilities });
    expect(joined.recording).toMatchObject({ recordingId: started.recordingId, state: 'recording', startedBy: 'hana name' });
    expect((await carol.request('acknowledgeRecording', {})).recorded).toBe(true);

    expect((await bob.requestError('stopRecording', {})).code).toBe('forbidden');
    const stopping = (await host.request('stopRecording', {})) as RecordingNotice;
    expect(stopping).toMatchObject({ state: 'stopping', recordingId: started.recordingId });
    // Then stored (or failed: nothing was published on the test double), told to everyone.
    for (const c of [host, bob, carol]) {
      const ended = await c.waitForNotification('recordingStateChanged', (n) => n.state === 'stored' || n.state === 'failed', 15_000);
      expect(ended.recordingId).toBe(started.recordingId);
    }
    const late = await server.client('dan', { role: 'participant' });
    clients.push(late);
    expect((await late.request('join', { roomId: 'rc', displayName: 'dan', device: DEVICE, rtpCapabilities })).recording).toBeNull();

    // Audit writes are queued: wait for the last one.
    const auditLog = server.app.get(AuditLogService);
    const actions = async () => (await auditLog.list({ roomId: 'rc', limit: 50 })).items.map((e) => `${e.action}:${e.outcome}`);
    for (let i = 0; i < 50 && !(await actions()).includes('moderation.stop_recording:ok'); i++) await sleep(50);
    expect(await actions()).toEqual(expect.arrayContaining(['moderation.start_recording:forbidden', 'moderation.start_recording:ok', 'moderation.start_recording:invalid_state', 'moderation.stop_recording:forbidden', 'moderation.stop_recording:ok']));
  }, 30_000);

  it_("the room's policy: 'forbidden' refuses start (signaling and API); 'required' may not be stopped by a participant, the API may", async () => {
    expect((await call(server, 'POST', '/api/v1/rooms', { roomId: 'nope', settings: { recording: 'forbidden' } })).status).toBe(201);
    expect((await call(server, 'POST', '/api/v1/rooms', { roomId: 'must', settings: { recording: 'required', recordingConsent: true } })).body.settings).toMatchObject({ recording: 'required', recordingConsent: true });
    expect((await call(server, 'POST', '/api/v1/rooms', { roomId: 'bad', settings: { recording: 'sometimes' } })).status).toBe(400);
    const host = await client('hana', 'host', 'nope');
    await host.until(() => ready().available, 'recording available');
    expect(await host.requestError('startRecording', {})).toMatchObject({ code: 'forbidden' });
    expect((await call(server, 'POST', '/api/v1/rooms/nope/recording/start')).body).toMatchObject({ statusCode: 403, code: 'forbidden' });

    const mod = await client('mo', 'moderator', 'must');
    const started = (await mod.request('startRecording', {})) as RecordingNotice;
    expect(started.consentRequired).toBe(true);
    expect((await mod.requestError('stopRecording', {})).code).toBe('forbidden');
    const stopped = await call(server, 'POST', '/api/v1/rooms/must/recording/stop');
    expect(stopped.body).toMatchObject({ state: 'stopping', recordingId: started.recordingId, startedBy: 'mo name' });

    // PATCH changes the policy.
    expect((await call(server, 'PATCH', '/api/v1/rooms/nope', { recording: 'allowed' })).body.settings.recording).toBe('allowed');
    const again = await host.request('startRecording', {});
    expect(again.state).toBe('recording');
    // Forbidding it while it runs stops it (kept as recorded so far).
    expect((await call(server, 'PATCH', '/api/v1/rooms/nope', { recording: 'forbidden' })).status).toBe(200);
    await host.waitForNotification('recordingStateChanged', (n) => n.recordingId === again.recordingId && n.state === 'stopping');
    // Let the mixes finish before the data folder goes.
    await host.waitForNotification('recordingStateChanged', (n) => n.recordingId === again.recordingId && (n.state === 'stored' || n.state === 'failed'), 15_000);
    await mod.waitForNotification('recordingStateChanged', (n) => n.recordingId === started.recordingId && (n.state === 'stored' || n.state === 'failed'), 15_000);
  }, 30_000);

  it_('server API: start, status, stop; stored files listed by room, downloaded with their content type, deleted', async () => {
    await client('hana', 'host', 'api-room');
    await clients[0].until(() => ready().available, 'recording available');
    const status0 = await call(server, 'GET', '/api/v1/rooms/api-room/recording');
    expect(status0.body).toMatchObject({ state: 'idle', availability: { available: true }, recording: null });
    const started = await call(server, 'POST', '/api/v1/rooms/api-room/recording/start');
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ state: 'recording', startedBy: null });
    expect((await call(server, 'POST', '/api/v1/rooms/api-room/recording/start')).status).toBe(409);
    expect((await call(server, 'GET', '/api/v1/rooms/api-room/recording')).body).toMatchObject({ state: 'recording', recording: { recordingId: started.body.recordingId } });
    expect((await call(server, 'POST', '/api/v1/rooms/nowhere/recording/start')).status).toBe(404);
    expect((await call(server, 'POST', '/api/v1/rooms/api-room/recording/stop')).body.state).toBe('stopping');
    expect((await call(server, 'POST', '/api/v1/rooms/api-room/recording/stop')).status).toBe(409);
    await clients[0].waitForNotification('recordingStateChanged', (n) => n.recordingId === started.body.recordingId && (n.state === 'stored' || n.state === 'failed'), 15_000);

    // Stored files, put through RECORDING_STORAGE as the recorder does (real media is the real-worker suite's).
    const storage = server.app.get<RecordingStorage>(RECORDING_STORAGE);
    const id = 'rec-fixture-1';
    const mp4 = Buffer.from('not really an mp4, but bytes to download');
    await writeFile(path.join(dataDir, 'a.mp4'), mp4);
    await writeFile(path.join(dataDir, 'm.json'), JSON.stringify({ version: 1, recordingId: id, roomId: 'api-room' }));
    await storage.put(id, 'recording.mp4', path.join(dataDir, 'a.mp4'));
    await storage.put(id, 'manifest.json', path.join(dataDir, 'm.json'));

    const listed = await call(server, 'GET', '/api/v1/recordings?roomId=api-room');
    expect(listed.body.filter((f: { recordingId: string }) => f.recordingId === id).map((f: { fileName: string }) => f.fileName)).toEqual(['manifest.json', 'recording.mp4']);
    expect((await call(server, 'GET', '/api/v1/recordings?roomId=other')).body.some((f: { recordingId: string }) => f.recordingId === id)).toBe(false);
    expect((await call(server, 'GET', '/api/v1/recordings')).body.length).toBeGreaterThanOrEqual(2);

    const download = await call(server, 'GET', `/api/v1/recordings/${id}/files/recording.mp4`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="recording.mp4"');
    expect(download.raw.equals(mp4)).toBe(true);
    expect((await call(server, 'GET', `/api/v1/recordings/${id}/files/manifest.json`)).headers.get('content-type')).toMatch(/^application\/json/);
    expect((await call(server, 'GET', `/api/v1/recordings/${id}/files/nothing.mp4`)).status).toBe(404);
    expect((await call(server, 'GET', `/api/v1/recordings/${id}/files/..%2Fx`)).status).toBe(400);
    const noToken = await fetch(`${server.httpUrl}/api/v1/recordings/${id}/files/recording.mp4`);
    expect(noToken.status).toBe(401);

    expect((await call(server, 'DELETE', `/api/v1/recordings/${id}`)).body).toEqual({ deleted: 2 });
    expect((await call(server, 'DELETE', `/api/v1/recordings/${id}`)).status).toBe(404);
    expect((await call(server, 'GET', `/api/v1/recordings/${id}/files/recording.mp4`)).status).toBe(404);
    const deleted = async () => (await server.app.get(AuditLogService).list({ limit: 100 })).items.some((e) => e.action.startsWith('api.DELETE') && e.target === id && e.outcome === 'ok');
    for (let i = 0; i < 50 && !(await deleted()); i++) await sleep(50);
    expect(await deleted()).toBe(true);
  }, 30_000);
});

describe('recording control without a mediasoup worker', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    server = await TestServer.start(null, { API_KEYS: `${KEY}:${SECRET}` });
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server.stop();
  });

  it('startRecording answers media_unavailable with the reason, and so does the server API (503)', async () => {
    const host = await server.client('hana', { role: 'host' });
    clients.push(host);
    await host.request('join', { roomId: 'r', displayName: 'hana', device: DEVICE });
    const error = await host.requestError('startRecording', {});
    expect(error.code).toBe('media_unavailable');
    expect(error.reason).toMatch(/recording unavailable: (no media|ffmpeg|checking)/);
    const api = await call(server, 'POST', '/api/v1/rooms/r/recording/start');
    expect(api.body).toMatchObject({ statusCode: 503, code: 'media_unavailable' });
    const status = await call(server, 'GET', '/api/v1/rooms/r/recording');
    expect(status.body).toMatchObject({ state: 'idle', availability: { available: false } });
    expect(status.body.availability.reason).toBeTruthy();
  });
});

(noRealMedia ? describe.skip : describe)('recording consent and the required policy with the real worker and ffmpeg', () => {
  let server: TestServer;
  let dataDir: string;
  const clients: TestClient[] = [];
  const senders: ChildProcess[] = [];
  const injected: PlainTransport[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'confer-recctl-real-'));
    server = await TestServer.start(realBackend, { API_KEYS: `${KEY}:${SECRET}`, DATA_DIR: dataDir, FFMPEG_PATH: FFMPEG, RECORDING_MIN_PORT: '51200', RECORDING_MAX_PORT: '51399' });
  });
  afterAll(async () => {
    for (const s of senders) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A peer whose camera and microphone are an ffmpeg test source sent over RTP into PlainTransport producers (as in recording.e2e). */
  async function participant(roomId: string, sub: string, role: 'host' | 'participant', tone: number): Promise<TestClient> {
    const client = await server.client(sub, { role, name: `${sub} name` });
    clients.push(client);
    const joined = await joinRoom(client, roomId, { send: false, displayName: `${sub} name` });
    const room = server.rooms.get(roomId);
    const peer = room?.peers.get(client.peerId);
    if (!room?.media || !peer) throw new Error('not joined');
    const outputs: string[] = [];
    for (const kind of ['video', 'audio'] as const) {
      const transport = await room.media.router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: false, comedia: true });
      injected.push(transport);
      const rtpParameters = sendRtpParameters(kind, joined.caps) as RtpParameters;
      const producer = await transport.produce({ kind, rtpParameters, appData: { source: kind === 'video' ? 'webcam' : 'mic', peerId: peer.id } });
      peer.producers.set(producer.id, producer);
      producer.observer.once('close', () => peer.producers.delete(producer.id));
      server.app.get(EventsService).emit({ type: 'track.published', roomId, peerId: peer.id, producerId: producer.id, kind, source: String(producer.appData['source']) });
      const port = transport.tuple.localPort;
      // prettier-ignore
      outputs.push(
        ...(kind === 'video'
          ? ['-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '30']
          : ['-map', '1:a', '-c:a', 'libopus', '-ac', '2', '-b:a', '48k']),
        '-ssrc', String(rtpParameters.encodings?.[0]?.ssrc), '-payload_type', String(rtpParameters.codecs[0].payloadType),
        '-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${transport.rtcpTuple?.localPort ?? port}&pkt_size=1200`,
      );
    }
    // prettier-ignore
    senders.push(spawn(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-re', '-f', 'lavfi', '-i', `sine=frequency=${tone}:sample_rate=48000`, ...outputs], { stdio: 'ignore' }));
    return client;
  }

  it("with consent required only those who acknowledged are recorded; 'required' starts with the first published track", async () => {
    const recordings = server.app.get(RecordingService);
    expect((await call(server, 'POST', '/api/v1/rooms', { roomId: 'consent', settings: { recording: 'required', recordingConsent: true } })).status).toBe(201);
    const t0 = Date.now();
    const alice = await participant('consent', 'alice', 'host', 440);
    // The policy starts the recording by itself; everyone is told (startedBy null: the room's policy).
    const notice = await alice.waitForNotification('recordingStateChanged', (n) => n.state === 'recording', 10_000);
    const startMs = Date.now() - t0;
    expect(notice).toMatchObject({ startedBy: null, consentRequired: true });
    const bob = await participant('consent', 'bob', 'participant', 660);
    expect((await bob.request('acknowledgeRecording', {})).recorded).toBe(true);
    await sleep(3000);
    let info = recordings.status('consent').recording;
    // Only Bob acknowledged: Alice's tracks are not tapped.
    expect(new Set(info?.tracks.map((t) => t.peerId))).toEqual(new Set([bob.peerId]));
    expect(info?.tracks).toHaveLength(2);

    // Alice consents later: her tracks are added from then on.
    await alice.request('acknowledgeRecording', {});
    await sleep(500);
    // The recorder's cost while 4 tracks (2 × VP8 320x240 + 2 × Opus) are written: CPU of its ffmpegs (copying, no transcoding).
    const before = await childCpuSeconds('recordings-work');
    await sleep(2000);
    const after = await childCpuSeconds('recordings-work');
    const cpuPercent = ((after.seconds - before.seconds) / 2) * 100;
    expect((await alice.requestError('stopRecording', {})).code).toBe('forbidden');
    const stopAt = Date.now();
    expect((await call(server, 'POST', '/api/v1/rooms/consent/recording/stop')).body.state).toBe('stopping');
    await alice.waitForNotification('recordingStateChanged', (n) => n.state === 'stored' || n.state === 'failed', 60_000);
    const storeMs = Date.now() - stopAt;
    info = recordings.status('consent').recording;
    expect(info?.state).toBe('stored');
    const byPeer = (id: string) => info?.tracks.filter((t) => t.peerId === id) ?? [];
    expect(byPeer(bob.peerId)).toHaveLength(2);
    expect(byPeer(alice.peerId)).toHaveLength(2);
    expect(Math.min(...byPeer(alice.peerId).map((t) => t.startOffsetMs))).toBeGreaterThan(2500);
    const files = (await call(server, 'GET', '/api/v1/recordings?roomId=consent')).body as { recordingId: string; fileName: string }[];
    expect(files.map((f) => f.fileName)).toEqual(expect.arrayContaining(['recording.mp4', 'manifest.json']));
    const mix = await call(server, 'GET', `/api/v1/recordings/${info?.recordingId}/files/recording.mp4`);
    expect(mix.headers.get('content-type')).toBe('video/mp4');
    expect(mix.raw.length).toBeGreaterThan(10_000);
    console.log(
      `recording control e2e: policy start ${startMs} ms after the first track; recorder CPU ${cpuPercent.toFixed(1)}% of one core for ${after.processes} track ffmpegs; stop to stored (mix) ${storeMs} ms; mix ${mix.raw.length} bytes; ${info?.tracks.length} tracks`,
    );
  }, 90_000);
});
