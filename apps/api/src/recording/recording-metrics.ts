import { Gauge, type Registry } from 'prom-client';
import type { RecordingService } from './recording.service';

/**
 * `confer_recordings{state}` (recordings starting, recording, stopping now),
 * `confer_recording_active_seconds` (summed length so far of those recording),
 * `confer_recordings_ended{outcome}` and `confer_recording_stored_seconds`
 * (since the process started), `confer_recording_available`.
 */
export function registerRecordingMetrics(registry: Registry, recordings: RecordingService): void {
  const registers = [registry];
  new Gauge({
    name: 'confer_recordings',
    help: 'Server-side recordings by state: starting, recording, stopping.',
    labelNames: ['state'],
    registers,
    collect() {
      const c = recordings.activeCounts();
      for (const state of ['starting', 'recording', 'stopping'] as const) this.set({ state }, c[state]);
    },
  });
  new Gauge({ name: 'confer_recording_active_seconds', help: 'Length so far of the recordings in progress, summed.', registers, collect() { this.set(recordings.activeCounts().seconds); } });
  new Gauge({
    name: 'confer_recordings_ended',
    help: 'Recordings that ended since start-up, by outcome (stored or failed).',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.set({ outcome: 'stored' }, recordings.ended.stored);
      this.set({ outcome: 'failed' }, recordings.ended.failed);
    },
  });
  new Gauge({ name: 'confer_recording_stored_seconds', help: 'Total length of the recordings stored since start-up.', registers, collect() { this.set(recordings.ended.storedSeconds); } });
  new Gauge({ name: 'confer_recording_available', help: '1 when server-side recording is available (worker, ffmpeg, RECORDING_ENABLED).', registers, collect() { this.set(recordings.availability().available ? 1 : 0); } });
}
