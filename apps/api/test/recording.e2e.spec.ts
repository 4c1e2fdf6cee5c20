import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PlainTransport, Producer, RtpParameters } from 'mediasoup/types';
import { EventsService } from '../src/events/events.service';
import type { ConferEvent, EventSink } from '../src/policies/event-sink';
import { RECORDING_STORAGE, type RecordingStorage } from '../src/policies/recording-storage';
import { RecordingService } from '../src/recording/recording.service';
import type { RecordingManifest } from '../src/recording/recording-types';
import { realBackend, realWorker } from './support/backends';
import { sendRtpParameters } from './support/rtp';
import { joinRoom } from './support/scenario';
import type { TestClient } from './support/test-client';
import { TestServer } from './support/test-server';

/**
 * Server-side recording against the real worker with real RTP: each
 * "participant" is a signaling client whose media comes from an ffmpeg that
 * sends VP8 (testsrc2) and Opus (sine) into PlainTransport producers on the
 * room's router, registered on the peer as ProducersService does. Needs the
 * worker and ffmpeg/ffprobe; skipped with the reason otherwise.
 */
const FFMPEG = process.env['FFMPEG_PATH'] ?? 'ffmpeg';
const hasTool = (bin: string): boolean => spawnSync(bin, ['-hide_banner', '-version'], { stdio: 'ignore' }).status === 0;
const missing = !realWorker.path ? `no mediasoup worker (${realWorker.detail})` : !hasTool(FFMPEG) ? `no ffmpeg (${FFMPEG})` : !hasTool('ffprobe') ? 'no ffprobe' : null;
const suite = missing ? describe.skip : describe;

beforeAll(() => console.log(missing ? `recording e2e: skipped — ${missing}` : `recording e2e: real worker at ${realWorker.path}, ${FFMPEG}`));

function run(bin: string, args: string[]): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

suite('server-side recording with the real worker and ffmpeg', () => {
  let server: TestServer;
  let dataDir: string;
  const clients: TestClient[] = [];
  /** Only the sender processes this test spawned; killed by pid at the end. */
  const senders: ChildProcess[] = [];
  const injected: PlainTransport[] = [];
  const events: ConferEvent[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'confer-rec-'));
    server = await TestServer.start(realBackend, { DATA_DIR: dataDir, FFMPEG_PATH: FFMPEG, RECORDING_MIN_PORT: '51000', RECORDING_MAX_PORT: '51199' });
    const sink: EventSink = { emit: (e) => void events.push(e) };
    server.app.get(EventsService).attach(sink);
  });

  afterAll(async () => {
    for (const s of senders) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.stop();
    if (!process.env['RECORDING_E2E_KEEP']) await rm(dataDir, { recursive: true, force: true });
  });

  /** A participant whose camera and microphone are an ffmpeg test source, sent over RTP into PlainTransport producers. */
  async function participant(sub: string, tone: number): Promise<Producer[]> {
    const client = await server.client(sub, { name: `${sub} name` });
    clients.push(client);
    const joined = await joinRoom(client, 'rec', { send: false, displayName: `${sub} name` });
    const room = server.rooms.get('rec');
    const peer = room?.peers.get(client.peerId);
    if (!room?.media || !peer) throw new Error('not joined');
    const router = room.media.router;
    const producers: Producer[] = [];
    const outputs: string[] = [];
    for (const kind of ['video', 'audio'] as const) {
      // ffmpeg sends RTCP from another port than RTP: with comedia, RTCP needs its own tuple (no rtcpMux on this side).
      const transport = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: false, comedia: true });
      injected.push(transport);
      const rtpParameters = sendRtpParameters(kind, joined.caps) as RtpParameters;
      const producer = await transport.produce({ kind, rtpParameters, appData: { source: kind === 'video' ? 'webcam' : 'mic', peerId: peer.id } });
      // As ProducersService.produce does: owned by the peer, announced to the event sinks.
      peer.producers.set(producer.id, producer);
      producer.observer.once('close', () => peer.producers.delete(producer.id));
      server.app.get(EventsService).emit({ type: 'track.published', roomId: 'rec', peerId: peer.id, producerId: producer.id, kind, source: String(producer.appData['source']) });
      producers.push(producer);
      const codec = rtpParameters.codecs[0];
      const port = transport.tuple.localPort;
      const rtcpPort = transport.rtcpTuple?.localPort ?? port;
      // prettier-ignore
      outputs.push(
        ...(kind === 'video'
          ? ['-map', '0:v', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-g', '30', '-keyint_min', '30']
          : ['-map', '1:a', '-c:a', 'libopus', '-ac', '2', '-b:a', '48k']),
        '-ssrc', String(rtpParameters.encodings?.[0]?.ssrc), '-payload_type', String(codec.payloadType),
        '-f', 'rtp', `rtp://127.0.0.1:${port}?rtcpport=${rtcpPort}&pkt_size=1200`,
      );
    }
    // prettier-ignore
    const sender = spawn(FFMPEG, [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-re', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30',
      '-re', '-f', 'lavfi', '-i', `sine=frequency=${tone}:sample_rate=48000`,
      ...outputs,
    ], { stdio: 'ignore' });
    senders.push(sender);
    return producers;
  }

  it('records 2 participants and one who joins during the recording into one MP4 (one video, one audio stream, the right length, not grey) plus tracks and a manifest', async () => {
    const recordings = server.app.get(RecordingService);
    await participant('alice', 440);
    await participant('bob', 660);
    await sleep(1000);
    expect(recordings.status('rec')).toMatchObject({ state: 'idle', availability: { available: true } });

    const started = await recordings.start('rec', { kind: 'api', id: 'test-key', name: 'test-key' });
    expect(started).toMatchObject({ state: 'recording', roomId: 'rec' });
    expect(started.tracks).toHaveLength(4);
    expect(recordings.status('rec').state).toBe('recording');
    await expect(recordings.start('rec')).rejects.toMatchObject({ code: 'invalid_state' });

    await sleep(3000);
    // Carol joins and publishes while the recording runs: her tracks are added, starting later.
    await participant('carol', 880);
    // Five seconds of her, counted from when every video track file holds frames: a loaded machine
    // (two CI runs at once, a dozen ffmpegs) can take seconds for a new track's first key frame.
    // (Audio files are written by ffmpeg in 256 KiB blocks: their size says nothing this early.)
    await untilEveryVideoTrackHasFrames(path.join(dataDir, 'recordings-work', started.recordingId), () => recordings.status('rec').recording?.tracks ?? [], 3);
    await sleep(5000);
    const stopped = await recordings.stop('rec');
    expect(stopped.reason).toBeUndefined();
    expect(stopped.state).toBe('stored');
    const durationS = (stopped.durationMs ?? 0) / 1000;
    expect(stopped.tracks).toHaveLength(6);
    expect(stopped.tracks.every((t) => t.status === 'complete')).toBe(true);

    // The meeting goes on: the room and its producers are untouched, and the recorder left nothing on the router.
    const room = server.rooms.get('rec');
    expect(room?.closed).toBe(false);
    if (!room?.media) throw new Error('room rec has no media');
    const dump = await room.media.router.dump();
    // Each client has its recv transport; the injected senders have theirs; no recorder transport is left.
    expect(dump.transportIds.length).toBe(clients.length + injected.length);

    // Stored through RECORDING_STORAGE: the mix, every track, the manifest.
    const storage = server.app.get<RecordingStorage>(RECORDING_STORAGE);
    const stored = await storage.list(stopped.recordingId);
    expect(stored.map((s) => s.fileName).sort()).toEqual([...stopped.files].sort());
    expect(stopped.files).toEqual(expect.arrayContaining(['recording.mp4', 'manifest.json']));
    const root = path.join(dataDir, 'recordings', stopped.recordingId);
    const file = path.join(root, 'recording.mp4');

    const manifest = JSON.parse(await readFile(path.join(root, 'manifest.json'), 'utf8')) as RecordingManifest;
    expect(manifest).toMatchObject({ version: 1, recordingId: stopped.recordingId, roomId: 'rec', state: 'stored', mix: { fileName: 'recording.mp4' } });
    expect(manifest.participants.map((p) => [p.subject, p.displayName]).sort()).toEqual([
      ['alice', 'alice name'],
      ['bob', 'bob name'],
      ['carol', 'carol name'],
    ]);
    expect(manifest.tracks.map((t) => `${t.kind}/${t.source}/${t.mimeType}`).sort()).toEqual(
      ['audio/mic/audio/opus', 'audio/mic/audio/opus', 'audio/mic/audio/opus', 'video/webcam/video/VP8', 'video/webcam/video/VP8', 'video/webcam/video/VP8'].sort(),
    );
    const carolPeer = manifest.participants.find((p) => p.subject === 'carol')?.peerId;
    const carolTracks = manifest.tracks.filter((t) => t.peerId === carolPeer);
    expect(carolTracks.every((t) => t.startOffsetMs > 2500)).toBe(true);

    // ffprobe: one video and one audio stream, the recorded length.
    const probe = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration:stream=codec_type,codec_name,width,height', '-of', 'json', file]);
    expect(probe.code).toBe(0);
    const info = JSON.parse(probe.stdout.toString()) as { format: { duration: string }; streams: { codec_type: string; codec_name: string }[] };
    expect(info.streams.map((s) => s.codec_type).sort()).toEqual(['audio', 'video']);
    const fileDuration = Number(info.format.duration);
    console.log(`recording e2e: recorded ${durationS.toFixed(2)} s, file ${fileDuration.toFixed(2)} s, streams ${info.streams.map((s) => s.codec_name).join('+')}, tracks ${manifest.tracks.map((t) => `${t.kind}@${t.startOffsetMs}ms`).join(' ')}`);
    expect(Math.abs(fileDuration - durationS)).toBeLessThanOrEqual(1);

    // It decodes without an error from start to end.
    const decode = await run(FFMPEG, ['-v', 'error', '-i', file, '-f', 'null', '-']);
    expect(decode.stderr.trim()).toBe('');
    expect(decode.code).toBe(0);

    // The middle frame is a picture, not a uniform grey or black one.
    const frame = await run(FFMPEG, ['-v', 'error', '-ss', (fileDuration / 2).toFixed(2), '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'gray', '-']);
    expect(frame.code).toBe(0);
    const px = frame.stdout;
    expect(px.length).toBe(1280 * 720);
    const mean = px.reduce((s, v) => s + v, 0) / px.length;
    const variance = px.reduce((s, v) => s + (v - mean) ** 2, 0) / px.length;
    console.log(`recording e2e: mid frame mean ${mean.toFixed(1)}, stddev ${Math.sqrt(variance).toFixed(1)}`);
    expect(Math.sqrt(variance)).toBeGreaterThan(20);

    expect(events.filter((e) => e.type.startsWith('recording.')).map((e) => e.type)).toEqual(['recording.started', 'recording.stopped']);
    expect(recordings.status('rec').state).toBe('stored');
  }, 90_000);
});

/** Waits (up to 30 s) until `count` video track files exist in `dir`, each past its header (frames arrived). */
async function untilEveryVideoTrackHasFrames(dir: string, tracks: () => { fileName: string; kind: string }[], count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const names = tracks().filter((t) => t.kind === 'video').map((t) => t.fileName);
    const sizes = await Promise.all(names.map((n) => stat(path.join(dir, n)).then((st) => st.size, () => 0)));
    if (names.length >= count && sizes.every((size) => size > 4096)) return;
    if (Date.now() > deadline) throw new Error(`video track files without frames after 30 s: ${names.map((n, i) => `${n} ${sizes[i]} B`).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
