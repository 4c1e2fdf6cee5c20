/**
 * Browser scenario for recording control (issue 13): a host starts and stops the
 * room's recording from the UI, a participant sees the notice, and the stored
 * `recording.mp4` (in the API's DATA_DIR, `.confer-data` by default) is checked
 * with ffprobe: one video and one audio stream, about as long as the recording.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
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

  await results.run('recording: the host starts it, everyone sees the notice, the host stops it; the stored MP4 has one video and one audio stream of the right length', skip, async () => {
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
    if (!(await notice.textContent())?.includes('This meeting is being recorded (started by Hana Host).')) throw new Error(`notice says: ${await notice.textContent()}`);
    const recordingId = (await notice.getAttribute('data-recording-id')) ?? '';

    await new Promise((r) => setTimeout(r, 5000));
    await host.page.getByRole('button', { name: 'Stop recording' }).click();
    // The notice goes once the recording is stored.
    await eventually(async () => (await pat.page.getByTestId('recording-notice').count()) === 0, 'the notice stayed after the stop', 30_000);
    const file = path.join(RECORDINGS, recordingId, 'recording.mp4');
    await eventually(async () => existsSync(file), `no ${file}`, 30_000);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type:format=duration', '-of', 'json', file], { encoding: 'utf8' });
    const info = JSON.parse(probe.stdout) as { streams: { codec_type: string }[]; format: { duration: string } };
    const kinds = info.streams.map((s) => s.codec_type).sort();
    const duration = Number(info.format.duration);
    log(`recording: notice ${noticeMs} ms after the click; ${file}: streams ${kinds.join('+')}, ${duration.toFixed(1)} s`);
    if (kinds.join(',') !== 'audio,video') throw new Error(`streams: ${kinds.join(',')}`);
    if (!(duration > 4 && duration < 9)) throw new Error(`duration ${duration} s for about 5 s of recording`);
    rmSync(path.join(RECORDINGS, recordingId), { recursive: true, force: true });
  });

  await leaveAll(open);
  log('recording scenarios done');
}
