import { EventEmitter } from 'node:events';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import type { Producer, Router } from 'mediasoup/types';
import { loadConfig } from '../config/app-config';
import { EventsService } from '../events/events.service';
import type { ConferEvent } from '../policies/event-sink';
import { LocalDirectoryStorage } from '../policies/recording-storage';
import type { RoomsService } from '../rooms/rooms.service';
import type { WorkerPoolService } from '../workers/worker-pool.service';
import { RecordingService } from './recording.service';

/**
 * The recorder's orchestration without a worker or a real ffmpeg: a stand-in
 * router (plain transports and consumers that only keep state) and a fake
 * ffmpeg script that binds the SDP's port, writes its output file, and exits
 * on `q` — or dies on its own when a `die` file is next to it (jest's
 * process.env is not the one child processes inherit).
 */
const FAKE_FFMPEG = `
const fs = require('node:fs');
const dgram = require('node:dgram');
const args = process.argv.slice(2);
if (args.includes('-version')) { console.log('ffmpeg version fake-1.0'); process.exit(0); }
const out = args[args.length - 1];
if (args.includes('-filter_complex')) { fs.writeFileSync(out, 'mixed'); process.exit(0); }
const sdp = fs.readFileSync(args[args.indexOf('-i') + 1], 'utf8');
const port = Number(/m=\\w+ (\\d+)/.exec(sdp)[1]);
const socket = dgram.createSocket('udp4');
// A Matroska header and, unless told to stop before the first frame, a Cluster.
const headerOnly = fs.existsSync(__dirname + '/header-only');
socket.bind(port, '127.0.0.1', () => fs.writeFileSync(out, Buffer.from(headerOnly ? [0x1a, 0x45, 0xdf, 0xa3] : [0x1a, 0x45, 0xdf, 0xa3, 0x1f, 0x43, 0xb6, 0x75])));
process.stdin.on('data', (d) => { if (String(d).includes('q')) process.exit(0); });
if (fs.existsSync(__dirname + '/die')) setTimeout(() => { process.stderr.write('boom: input went away\\n'); process.exit(1); }, 400);
`;

class StubConsumer {
  readonly observer = new EventEmitter();
  paused = true;
  keyFrames = 0;
  constructor(readonly kind: 'audio' | 'video') {}
  get rtpParameters() {
    return this.kind === 'audio'
      ? { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { useinbandfec: 1 } }] }
      : { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }] };
  }
  async resume() {
    this.paused = false;
  }
  async requestKeyFrame() {
    this.keyFrames++;
  }
}

/** Just what TrackTap uses of a router, with counters for the leak check. */
class StubRouter {
  open = 0;
  consumers: StubConsumer[] = [];
  rtpCapabilities = { codecs: [{ kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 }, { kind: 'video', mimeType: 'video/rtx', clockRate: 90000 }] };
  constructor(private readonly producers: Map<string, Producer>) {}
  async createPlainTransport() {
    this.open++;
    let consumer: StubConsumer | undefined;
    const transport = {
      closed: false,
      connect: async () => undefined,
      consume: async ({ producerId, paused }: { producerId: string; paused: boolean }) => {
        expect(paused).toBe(true);
        consumer = new StubConsumer(this.producers.get(producerId)?.kind ?? 'audio');
        this.consumers.push(consumer);
        return consumer;
      },
      close: () => {
        if (transport.closed) return;
        transport.closed = true;
        this.open--;
        consumer?.observer.emit('close');
      },
    };
    return transport;
  }
}

function producer(id: string, kind: 'audio' | 'video'): Producer {
  return { id, kind, closed: false, appData: { source: kind === 'audio' ? 'mic' : 'webcam' }, rtpParameters: { codecs: [{ mimeType: kind === 'audio' ? 'audio/opus' : 'video/VP8' }] } } as unknown as Producer;
}

describe('RecordingService (test double: stand-in router, fake ffmpeg)', () => {
  let dir: string;
  let ffmpeg: string;
  const services: RecordingService[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    dir = await mkdtemp(path.join(tmpdir(), 'confer-rec-unit-'));
    await writeFile(path.join(dir, 'fake-ffmpeg.cjs'), FAKE_FFMPEG);
    ffmpeg = path.join(dir, 'ffmpeg');
    await writeFile(ffmpeg, `#!/bin/sh\nexec "${process.execPath}" "${path.join(dir, 'fake-ffmpeg.cjs')}" "$@"\n`);
    await chmod(ffmpeg, 0o755);
  });

  afterEach(async () => {
    await rm(path.join(dir, 'die'), { force: true });
    await Promise.all(services.splice(0).map((s) => s.onModuleDestroy()));
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function setup(env: Record<string, string> = {}, mediaAvailable = true) {
    const config = loadConfig({ JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'memory:', DATA_DIR: path.join(dir, `data-${Math.random()}`), FFMPEG_PATH: ffmpeg, RECORDING_MIN_PORT: '52000', RECORDING_MAX_PORT: '52099', ...env });
    const producers = new Map<string, Producer>([
      ['a-mic', producer('a-mic', 'audio')],
      ['a-cam', producer('a-cam', 'video')],
    ]);
    const router = new StubRouter(producers);
    const alice = { id: 'alice', displayName: 'Alice', identity: { subject: 'alice@corp' }, producers: new Map([...producers]) };
    const room = { id: 'r1', closed: false, media: { router: router as unknown as Router }, peers: new Map([['alice', alice]]), joinedPeers: () => [...room.peers.values()] };
    const rooms = { get: (id: string) => (id === 'r1' ? room : undefined) } as unknown as RoomsService;
    const pool = { available: mediaAvailable, unavailable: mediaAvailable ? null : 'no mediasoup-worker found' } as unknown as WorkerPoolService;
    const events = new EventsService([]);
    const seen: ConferEvent[] = [];
    events.attach({ emit: (e) => void seen.push(e) });
    const storage = new LocalDirectoryStorage(path.join(config.portal.dataDir, 'recordings'));
    const service = new RecordingService(config, rooms, pool, events, storage);
    services.push(service);
    service.onModuleInit();
    return { service, events, seen, room, router, producers, alice, storage };
  }

  it('idle → recording → stopping → stored: a track per producer (one published later too), keyframe asked, mixed, stored with the manifest; nothing left on the router', async () => {
    const { service, events, seen, router, producers, alice, storage } = await setup();
    await service.start('nowhere').catch(() => undefined);
    expect(service.status('r1')).toMatchObject({ state: 'idle', availability: { available: true, ffmpeg: 'ffmpeg version fake-1.0' }, recording: null });

    const started = await service.start('r1', { kind: 'participant', id: 'alice', name: 'Alice' });
    expect(started.state).toBe('recording');
    expect(started.tracks.map((t) => [t.producerId, t.status])).toEqual([
      ['a-mic', 'recording'],
      ['a-cam', 'recording'],
    ]);
    // Created paused, resumed once ffmpeg listened; the video one asked for a key frame.
    expect(router.consumers.map((c) => [c.kind, c.paused, c.keyFrames])).toEqual([
      ['audio', false, 0],
      ['video', false, 1],
    ]);
    await expect(service.start('r1')).rejects.toMatchObject({ code: 'invalid_state' });

    // Published during the recording: announced by the event, recorded from then on.
    const screen = producer('a-screen', 'video');
    producers.set(screen.id, screen);
    alice.producers.set(screen.id, screen);
    events.emit({ type: 'track.published', roomId: 'r1', peerId: 'alice', producerId: screen.id, kind: 'video', source: 'screen' });
    await new Promise((r) => setTimeout(r, 600));
    expect(service.status('r1').recording?.tracks).toHaveLength(3);

    const stopping = service.stop('r1');
    expect(service.status('r1').state).toBe('stopping');
    const stopped = await stopping;
    expect(stopped).toMatchObject({ state: 'stored', fileName: 'recording.mp4' });
    expect(stopped.tracks.every((t) => t.status === 'complete' && !t.fileName.includes('partial'))).toBe(true);
    expect(router.open).toBe(0);
    const files = (await storage.list(stopped.recordingId)).map((f) => f.fileName);
    expect(files.sort()).toEqual([...stopped.files].sort());
    const manifest = JSON.parse(await readFile(path.join(storage.root, stopped.recordingId, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ state: 'stored', roomId: 'r1', participants: [{ peerId: 'alice', subject: 'alice@corp', displayName: 'Alice' }] });
    expect(manifest.tracks).toHaveLength(3);
    expect(seen.map((e) => e.type)).toEqual(['recording.started', 'track.published', 'recording.stopped']);
    await expect(service.stop('r1')).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('ffmpeg dying → failed with the reason, recording.failed, tracks stay .partial and nothing is stored; the meeting goes on and a new recording can start', async () => {
    await writeFile(path.join(dir, 'die'), '');
    const { service, seen, room, router, producers, storage } = await setup();
    expect((await service.start('r1')).state).toBe('recording');
    await new Promise((r) => setTimeout(r, 1500));
    const status = service.status('r1');
    expect(status.state).toBe('failed');
    expect(status.recording?.reason).toMatch(/exited unexpectedly \(code 1.*boom: input went away/);
    expect(status.recording?.tracks.every((t) => t.status === 'partial' && t.fileName.endsWith('.partial.mkv'))).toBe(true);
    expect(seen.filter((e) => e.type.startsWith('recording.')).map((e) => e.type)).toEqual(['recording.started', 'recording.failed']);
    expect(await storage.list()).toEqual([]);
    // The meeting is untouched.
    expect(room.closed).toBe(false);
    expect([...producers.values()].every((p) => !p.closed)).toBe(true);
    expect(router.open).toBe(0);
    await expect(service.stop('r1')).rejects.toMatchObject({ code: 'invalid_state' });

    await rm(path.join(dir, 'die'));
    expect((await service.start('r1')).state).toBe('recording');
    expect((await service.stop('r1')).state).toBe('stored');
    expect(service.list('r1').map((r) => r.state)).toEqual(['failed', 'stored']);
  });

  it('stopped before any frame arrived: header-only track files count as empty, not complete', async () => {
    await writeFile(path.join(dir, 'header-only'), '');
    try {
      const { service } = await setup();
      expect((await service.start('r1')).state).toBe('recording');
      const stopped = await service.stop('r1');
      expect(stopped.tracks.length).toBeGreaterThan(0);
      expect(stopped.tracks.every((t) => t.status === 'empty')).toBe(true);
      // The mix leaves empty tracks out: the recording is still stored.
      expect(stopped.state).toBe('stored');
    } finally {
      await rm(path.join(dir, 'header-only'));
    }
  });

  it('unavailable, with the reason: no ffmpeg, RECORDING_ENABLED=false, no worker', async () => {
    const noFfmpeg = await setup({ FFMPEG_PATH: path.join(dir, 'missing-ffmpeg') });
    await expect(noFfmpeg.service.start('r1')).rejects.toMatchObject({ code: 'media_unavailable' });
    expect(noFfmpeg.service.availability()).toMatchObject({ available: false, reason: expect.stringMatching(/ffmpeg not usable.*missing-ffmpeg/) });

    const off = await setup({ RECORDING_ENABLED: 'false' });
    expect(off.service.availability()).toEqual({ available: false, reason: 'recording is off (RECORDING_ENABLED=false)' });
    await expect(off.service.start('r1')).rejects.toMatchObject({ code: 'media_unavailable' });

    const noWorker = await setup({}, false);
    await expect(noWorker.service.start('r1')).rejects.toMatchObject({ code: 'media_unavailable', message: expect.stringMatching(/no mediasoup-worker/) });
    expect(noWorker.service.status('r1')).toMatchObject({ state: 'idle', availability: { available: false } });
  });

  it('the room closing stops its recording and stores what was recorded', async () => {
    const { service, events, seen } = await setup();
    await service.start('r1');
    events.emit({ type: 'room.finished', roomId: 'r1', reason: 'empty' });
    // The state turns `stored` just before the event is raised: wait for both.
    const done = (): boolean => service.status('r1').state === 'stored' && seen.some((e) => e.type === 'recording.stopped');
    for (let i = 0; i < 50 && !done(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(service.status('r1').state).toBe('stored');
    expect(seen.map((e) => e.type)).toContain('recording.stopped');
  });
});
