import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MediaSession } from '@confer/media';
import { CallService } from '../shared/call.service';

/**
 * The room's recording, for everyone: a "Recording" indicator and the notice
 * ("This meeting is being recorded") while it runs, the consent prompt when the
 * room asks for consent, and for hosts and moderators Start / Stop recording
 * (disabled, with the reason as the tooltip, when the room cannot be recorded).
 */
@Component({
  selector: 'cf-recording-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (active()) {
      <div class="banner rec" role="status" data-testid="recording-notice" [attr.data-state]="recording()?.state" [attr.data-recording-id]="recording()?.recordingId">
        <span class="dot" aria-hidden="true"></span>
        @if (recording()?.state === 'stopping') {
          <strong data-testid="recording-indicator">Recording is stopping</strong>
        } @else {
          <strong data-testid="recording-indicator">Recording</strong>
          <span>This meeting is being recorded{{ startedBy() ? ' (started by ' + startedBy() + ')' : '' }}.</span>
        }
        @if (consentNeeded()) {
          <span data-testid="recording-not-recorded">Your audio and video are not recorded until you allow it.</span>
        }
      </div>
    }
    @if (consentNeeded() && dismissedFor() !== recording()?.recordingId) {
      <div class="consent" role="alertdialog" aria-labelledby="rec-consent-title" aria-describedby="rec-consent-text" data-testid="recording-consent">
        <p id="rec-consent-title"><strong>This meeting is being recorded</strong></p>
        <p id="rec-consent-text">Your audio and video are recorded only if you allow it. You can stay in the meeting either way.</p>
        <div class="row">
          <button type="button" data-testid="recording-consent-allow" (click)="allow()">Allow recording of my audio and video</button>
          <button type="button" data-testid="recording-consent-dismiss" (click)="dismissedFor.set(recording()?.recordingId ?? null)">Not now</button>
        </div>
      </div>
    }
    @if (session.isModerator()) {
      <div class="row" role="group" aria-label="Recording" data-testid="recording-controls">
        @if (!active()) {
          <button type="button" data-testid="start-recording" [disabled]="startBlocked() !== null" [attr.title]="startBlocked()" (click)="start()">Start recording</button>
        } @else {
          <button type="button" class="danger" data-testid="stop-recording" [disabled]="stopBlocked() !== null" [attr.title]="stopBlocked()" (click)="stop()">
            Stop recording
          </button>
        }
      </div>
    }
  `,
  styles: `
    :host { display: grid; gap: 0.4rem; }
    .row { display: flex; flex-wrap: wrap; gap: 0.4rem; }
    .rec { display: flex; align-items: center; gap: 0.5rem; }
    .dot { width: 0.7rem; height: 0.7rem; border-radius: 50%; background: #e53935; }
    .consent { padding: 0.6rem; border-radius: 8px; background: #3a2f10; color: #fff6d6; display: grid; gap: 0.4rem; }
    .consent p { margin: 0; }
  `,
})
export class RecordingBannerComponent {
  protected readonly session = inject(MediaSession);
  private readonly call = inject(CallService);
  protected readonly recording = this.session.recording;
  /** The recording whose consent prompt was put off ("Not now"); the next recording asks again. */
  protected readonly dismissedFor = signal<string | null>(null);

  protected readonly active = computed(() => this.recording()?.active === true);
  protected readonly startedBy = computed(() => this.recording()?.startedBy ?? null);
  protected readonly consentNeeded = computed(() => {
    const r = this.recording();
    return r !== null && r.active && r.state !== 'stopping' && r.consentRequired && !r.acknowledged;
  });

  /** Why Start recording is off, or null. The server checks again (and says when ffmpeg or the worker is missing). */
  protected readonly startBlocked = computed(() => {
    if (!this.session.mediaAvailable()) return 'Recording is unavailable: there is no media server.';
    if (this.session.roomSettings()?.recording === 'forbidden') return 'Recording is not allowed in this room.';
    return null;
  });

  protected readonly stopBlocked = computed(() => {
    if (this.recording()?.state === 'stopping') return 'The recording is being saved.';
    return this.session.roomSettings()?.recording === 'required' ? 'This room is always recorded: it cannot be stopped here.' : null;
  });

  protected allow(): Promise<void> {
    return this.call.attempt(() => this.session.acknowledgeRecording());
  }

  protected start(): Promise<void> {
    return this.call.attempt(() => this.session.startRecording());
  }

  protected stop(): Promise<void> {
    return this.call.attempt(() => this.session.stopRecording());
  }
}
