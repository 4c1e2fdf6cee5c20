import { ChangeDetectionStrategy, Component, computed, inject, output } from '@angular/core';
import { MediaSession } from '@confer/media';
import { CallService } from '../shared/call.service';

/** Microphone, camera, screen share and leave. */
@Component({
  selector: 'cf-controls',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="bar" role="toolbar" aria-label="Call controls">
      <button
        type="button"
        data-testid="toggle-mic"
        [attr.aria-label]="micLabel()"
        [attr.aria-pressed]="micLive()"
        [class.off]="!micLive()"
        [disabled]="!media()"
        (click)="toggleMic()"
      >
        {{ micLive() ? '🎙️' : '🔇' }} <span>{{ micLive() ? 'Mute' : 'Unmute' }}</span>
      </button>
      <button
        type="button"
        data-testid="toggle-camera"
        [attr.aria-label]="cameraOn() ? 'Turn camera off' : 'Turn camera on'"
        [attr.aria-pressed]="cameraOn()"
        [class.off]="!cameraOn()"
        [disabled]="!media()"
        (click)="toggleCamera()"
      >
        📷 <span>{{ cameraOn() ? 'Stop video' : 'Start video' }}</span>
      </button>
      <button
        type="button"
        data-testid="toggle-screen"
        [attr.aria-label]="sharing() ? 'Stop sharing the screen' : 'Share the screen'"
        [attr.aria-pressed]="sharing()"
        [disabled]="!media()"
        (click)="toggleScreen()"
      >
        🖥️ <span>{{ sharing() ? 'Stop sharing' : 'Share screen' }}</span>
      </button>
      <button type="button" class="danger" data-testid="leave" aria-label="Leave the meeting" (click)="leave.emit()">
        ✖ <span>Leave</span>
      </button>
    </div>
  `,
  styles: `
    .bar { display: flex; gap: 0.5rem; justify-content: center; flex-wrap: wrap; }
    button { min-width: 3rem; }
    button.off { background: #633; color: #fff; }
    @media (max-width: 560px) { button span { display: none; } button { font-size: 1.2rem; } }
  `,
})
export class ControlsComponent {
  private readonly session = inject(MediaSession);
  private readonly call = inject(CallService);
  readonly leave = output<void>();

  protected readonly media = computed(() => this.session.mediaAvailable() && this.session.state() === 'joined');
  private readonly mic = computed(() => this.session.localProducers().find((p) => p.source === 'mic'));
  protected readonly micLive = computed(() => Boolean(this.mic() && !this.mic()?.paused));
  protected readonly micLabel = computed(() => (!this.mic() ? 'Turn microphone on' : this.micLive() ? 'Mute microphone' : 'Unmute microphone'));
  protected readonly cameraOn = computed(() => this.session.localProducers().some((p) => p.source === 'webcam'));
  protected readonly sharing = computed(() => this.session.localProducers().some((p) => p.source === 'screen'));

  protected toggleMic(): Promise<void> {
    const mic = this.mic();
    return this.call.attempt(() => (!mic ? this.session.enableMic() : mic.paused ? this.session.unmuteMic() : this.session.muteMic()));
  }

  protected toggleCamera(): Promise<void> {
    return this.call.attempt(() => (this.cameraOn() ? this.session.disableCamera() : this.session.enableCamera()));
  }

  protected toggleScreen(): Promise<void> {
    return this.call.attempt(() => (this.sharing() ? this.session.disableScreenShare() : this.session.enableScreenShare()));
  }
}
