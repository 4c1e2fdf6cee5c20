import { ChangeDetectionStrategy, Component, computed, inject, output } from '@angular/core';
import { MediaDevicesService, MediaSession } from '@confer/media';
import { CallService } from '../shared/call.service';
import { IconComponent } from '../shared/icon.component';
import { permissionDeniedText } from '../shared/moderation-notices';

/**
 * Microphone, camera, screen share and leave. What a moderator took away (a hard
 * mute) or the role does not include is disabled, its tooltip saying why.
 */
@Component({
  selector: 'cf-controls',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [IconComponent],
  template: `
    <div class="bar" role="toolbar" aria-label="Call controls">
      <button
        type="button"
        data-testid="toggle-mic"
        [attr.aria-label]="micLabel()"
        [attr.aria-pressed]="micLive()"
        [class.off]="!micLive()"
        [disabled]="!media() || (!micLive() && !may().publishAudio)"
        [attr.title]="may().publishAudio ? null : denied('publishAudio')"
        (click)="toggleMic()"
      >
        <cf-icon [name]="micLive() ? 'mic' : 'mic-off'" /> <span>{{ micLive() ? 'Mute' : 'Unmute' }}</span>
      </button>
      <button
        type="button"
        data-testid="toggle-camera"
        [attr.aria-label]="cameraOn() ? 'Turn camera off' : 'Turn camera on'"
        [attr.aria-pressed]="cameraOn()"
        [class.off]="!cameraOn()"
        [disabled]="!media() || (!cameraOn() && !may().publishVideo)"
        [attr.title]="may().publishVideo ? null : denied('publishVideo')"
        (click)="toggleCamera()"
      >
        <cf-icon [name]="cameraOn() ? 'camera' : 'camera-off'" /> <span>{{ cameraOn() ? 'Stop video' : 'Start video' }}</span>
      </button>
      <button
        type="button"
        data-testid="toggle-screen"
        [attr.aria-label]="sharing() ? 'Stop sharing the screen' : 'Share the screen'"
        [attr.aria-pressed]="sharing()"
        [disabled]="!media() || (!sharing() && !may().publishScreen)"
        [attr.title]="may().publishScreen ? null : denied('publishScreen')"
        (click)="toggleScreen()"
      >
        <cf-icon name="screen" /> <span>{{ sharing() ? 'Stop sharing' : 'Share screen' }}</span>
      </button>
      @if (media()) {
        <select aria-label="Switch microphone" data-testid="switch-mic" (change)="switchMic($any($event.target).value)">
          <option value="">Microphone…</option>
          @for (d of devices.microphones(); track d.deviceId) {
            <option [value]="d.deviceId" [selected]="d.deviceId === micDeviceId()">{{ d.label || 'Microphone' }}</option>
          }
        </select>
        <select aria-label="Switch camera" data-testid="switch-camera" (change)="switchCamera($any($event.target).value)">
          <option value="">Camera…</option>
          @for (d of devices.cameras(); track d.deviceId) {
            <option [value]="d.deviceId" [selected]="d.deviceId === cameraDeviceId()">{{ d.label || 'Camera' }}</option>
          }
        </select>
      }
      <button type="button" class="danger" data-testid="leave" aria-label="Leave the meeting" (click)="leave.emit()">
        <cf-icon name="leave" /> <span>Leave</span>
      </button>
    </div>
  `,
  styles: `
    .bar { display: flex; gap: 0.5rem; justify-content: center; flex-wrap: wrap; }
    button { min-width: 3rem; display: inline-flex; gap: 0.35rem; align-items: center; }
    select { max-width: 11rem; }
    button.off { background: #633; color: #fff; }
    @media (max-width: 560px) { button span { display: none; } button { font-size: 1.2rem; } select { max-width: 8rem; } }
  `,
})
export class ControlsComponent {
  private readonly session = inject(MediaSession);
  private readonly call = inject(CallService);
  protected readonly devices = inject(MediaDevicesService);
  readonly leave = output<void>();

  protected readonly media = computed(() => this.session.mediaAvailable() && this.session.state() === 'joined');
  /** What this peer may publish now (unknown counts as allowed: the server has the last word). */
  protected readonly may = computed(() => {
    const p = this.session.permissions();
    return { publishAudio: p?.publishAudio !== false, publishVideo: p?.publishVideo !== false, publishScreen: p?.publishScreen !== false };
  });
  /** The tooltip of a control this peer may not use. */
  protected denied(permission: 'publishAudio' | 'publishVideo' | 'publishScreen'): string {
    return this.session.role() === 'viewer' ? 'Viewers watch and listen; a moderator can make you a participant.' : permissionDeniedText(permission);
  }
  private readonly mic = computed(() => this.session.localProducers().find((p) => p.source === 'mic'));
  protected readonly micLive = computed(() => Boolean(this.mic() && !this.mic()?.paused));
  protected readonly micLabel = computed(() => (!this.mic() ? 'Turn microphone on' : this.micLive() ? 'Mute microphone' : 'Unmute microphone'));
  private readonly camera = computed(() => this.session.localProducers().find((p) => p.source === 'webcam'));
  /** Sending video: a camera producer that is not paused (a moderator's hard mute pauses it). */
  protected readonly cameraOn = computed(() => Boolean(this.camera() && !this.camera()?.paused));
  protected readonly sharing = computed(() => this.session.localProducers().some((p) => p.source === 'screen'));

  protected readonly micDeviceId = computed(() => this.mic()?.deviceId ?? this.mic()?.track.getSettings?.().deviceId);
  protected readonly cameraDeviceId = computed(() => {
    const cam = this.camera();
    return cam?.deviceId ?? cam?.track.getSettings?.().deviceId;
  });

  constructor() {
    void this.devices.refresh().catch(() => undefined);
  }

  protected switchMic(deviceId: string): Promise<void> {
    return deviceId ? this.call.attempt(() => this.session.switchMic(deviceId)) : Promise.resolve();
  }

  protected switchCamera(deviceId: string): Promise<void> {
    return deviceId ? this.call.attempt(() => this.session.switchCamera(deviceId)) : Promise.resolve();
  }

  protected toggleMic(): Promise<void> {
    const mic = this.mic();
    return this.call.attempt(() => (!mic ? this.session.enableMic() : mic.paused ? this.session.unmuteMic() : this.session.muteMic()));
  }

  protected toggleCamera(): Promise<void> {
    const camera = this.camera();
    // Paused by a moderator and allowed again: resume it rather than open the camera a second time.
    return this.call.attempt(() => (!camera ? this.session.enableCamera() : camera.paused ? this.session.resumeProducer('webcam') : this.session.disableCamera()));
  }

  protected toggleScreen(): Promise<void> {
    return this.call.attempt(() => (this.sharing() ? this.session.disableScreenShare() : this.session.enableScreenShare()));
  }
}
