/**
 * Browser scenario for recording control (issue 13): a host starts and stops the
 * room's recording from the UI, a participant sees the notice, and the stored
 * `recording.mp4` (in the API's DATA_DIR, `.confer-data` by default) is checked
 * with ffprobe and ffmpeg: one video and one audio stream, as long as the
 * recording (±1 s), every frame decodes, the middle frame is a picture (not a
 * uniform grey or black), and the manifest lists both participants and their tracks.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { ROOT, eventually, leaveAll, log, type Participant, type Results } from './harness';
import { enter } from './moderation-scenarios';

export interface RecordingScenarioContext {
  browser: Browser;
  baseUrl: string;
  results: Results;
  /** Why media scenarios are skipped; null when a real worker runs. */
  mediaSkip: string | null;
}

const RECORDINGS = path.join(process.env['DATA_DIR'] ? path.resolve(ROOT, process.env['DATA_DIR']) : path.join(ROOT, '.confer-data'), 'recordings');
const hasTool = (bin: string): boolean => spawnSync(bin, ['-hide_banner', '-version'], { stdio: 'ignore' }).status === 0;

export async function runRecordingScenarios({ browser, baseUrl, results, mediaSkip }: RecordingScenarioContext): Promise<void> {
  const skip = mediaSkip ?? (!hasTool('ffmpeg') ? 'needs ffmpeg on the server' : !hasTool('ffprobe') ? 'needs ffprobe to check the file' : null);
  const open: Participant[] = [];
  const track = (p: Participant): Participant => (open.push(p), p);
  const suffix = Date.now().toString(36);

  await results.run('recording: the host starts it, everyone sees the notice, the host stops it after ~10 s; the stored MP4 has one video and one audio stream of the right length (±1 s), decodes, shows a picture mid-way, and its manifest lists both participants', skip, async () => {
    const room = `rec-${suffix}`;
    const host = track(await enter(browser, baseUrl, 'Hana Host', room));
    const pat = track(await enter(browser, baseUrl, 'Pat Guest', room, { role: 'participant' }));
    if (await pat.page.getByTestId('recording-notice').count()) throw new Error('a notice before any recording');
    if (await pat.page.getByRole('button', { name: 'Start recording' }).count()) throw new Error('a participant has Start recording');

    const clicked = Date.now();
    await host.page.getByRole('button', { name: 'Start recording' }).click();
    const notice = pat.page.locator('[data-testid="recording-notice"][data-state="recording"]');
    await notice.waitFor();
    const noticeMs = Date.now() - clicked;
    await host.page.locator('[data-testid="recording-notice"][data-state="recording"]').waitFor();
    const recordingFrom = Date.now();
    if (!(await notice.textContent())?.includes('This meeting is being recorded (started by Hana Host).')) throw new Error(`notice says: ${await notice.textContent()}`);
    const recordingId = (await notice.getAttribute('data-recording-id')) ?? '';

    await new Promise((r) => setTimeout(r, 10_000));
    await host.page.getByRole('button', { name: 'Stop recording' }).click();
    const recordedS = (Date.now() - recordingFrom) / 1000;
    // The notice goes once the recording is stored.
    await eventually(async () => (await pat.page.getByTestId('recording-notice').count()) === 0, 'the notice stayed after the stop', 30_000);
    const file = path.join(RECORDINGS, recordingId, 'recording.mp4');
    await eventually(async () => existsSync(file), `no ${file}`, 30_000);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type:format=duration', '-of', 'json', file], { encoding: 'utf8' });
    const info = JSON.parse(probe.stdout) as { streams: { codec_type: string }[]; format: { duration: string } };
    const kinds = info.streams.map((s) => s.codec_type).sort();
    const duration = Number(info.format.duration);
    log(`recording: notice ${noticeMs} ms after the click; ${file}: streams ${kinds.join('+')}, ${duration.toFixed(2)} s for ${recordedS.toFixed(2)} s recorded`);
    if (kinds.join(',') !== 'audio,video') throw new Error(`streams: ${kinds.join(',')}`);
    if (Math.abs(duration - recordedS) > 1) throw new Error(`duration ${duration} s for ${recordedS} s of recording (more than 1 s apart)`);
    // Every frame decodes.
    const decode = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
    if (decode.status !== 0 || decode.stderr.trim()) throw new Error(`ffmpeg could not decode the file: ${decode.stderr.slice(0, 500)}`);
    // The middle frame, as 160×90 grey levels: a picture has many levels and spread, a grey or black frame one or two.
    const frame = spawnSync('ffmpeg', ['-v', 'error', '-ss', String(duration / 2), '-i', file, '-frames:v', '1', '-vf', 'scale=160:90,format=gray', '-f', 'rawvideo', '-'], { maxBuffer: 1 << 20 });
    const pixels = [...(frame.stdout as Buffer)];
    const mean = pixels.reduce((a, b) => a + b, 0) / pixels.length;
    const stddev = Math.sqrt(pixels.reduce((a, b) => a + (b - mean) ** 2, 0) / pixels.length);
    const levels = new Set(pixels).size;
    log(`recording: middle frame ${pixels.length} px, mean ${mean.toFixed(1)}, stddev ${stddev.toFixed(1)}, ${levels} grey levels`);
    if (pixels.length !== 160 * 90 || stddev < 10 || levels < 16) throw new Error(`the middle frame is not a picture (stddev ${stddev.toFixed(1)}, ${levels} levels)`);
    // The manifest names both participants and their tracks.
    const manifest = JSON.parse(readFileSync(path.join(RECORDINGS, recordingId, 'manifest.json'), 'utf8')) as { participants: { displayName: string }[]; tracks: { peerId: string; kind: string }[] };
    const names = manifest.participants.map((p) => p.displayName).sort();
    if (names.join(',') !== 'Hana Host,Pat Guest') throw new Error(`manifest participants: ${names.join(',')}`);
    if (manifest.tracks.filter((t) => t.kind === 'video').length < 2 || manifest.tracks.filter((t) => t.kind === 'audio').length < 2) throw new Error(`manifest tracks: ${JSON.stringify(manifest.tracks)}`);
    rmSync(path.join(RECORDINGS, recordingId), { recursive: true, force: true });
  });

  await leaveAll(open);
  log('recording scenarios done');
}
