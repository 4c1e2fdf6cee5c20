import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MediaSession } from '@confer/media';
import { CallService } from '../shared/call.service';

/** For moderators: mute everyone, the waiting room on/off, lock, and end the meeting for all (after a confirmation). */
@Component({
  selector: 'cf-meeting-controls',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <section aria-labelledby="meeting-controls-title" data-testid="meeting-controls">
      <h2 id="meeting-controls-title">Meeting controls</h2>
      <div class="row" role="toolbar" aria-labelledby="meeting-controls-title">
        <button type="button" data-testid="mute-all" (click)="muteAll()">Mute all</button>
        <button type="button" data-testid="toggle-lobby" [attr.aria-pressed]="lobbyOn()" (click)="toggleLobby()">
          {{ lobbyOn() ? 'Turn waiting room off' : 'Turn waiting room on' }}
        </button>
        <button type="button" data-testid="toggle-lock" [attr.aria-pressed]="locked()" (click)="toggleLock()">{{ locked() ? 'Unlock room' : 'Lock room' }}</button>
        <button type="button" class="danger" data-testid="end-meeting" [attr.aria-expanded]="confirming()" (click)="confirming.set(true)">End meeting for all</button>
      </div>
      @if (confirming()) {
        <div class="confirm" role="alertdialog" aria-labelledby="end-title" aria-describedby="end-text" data-testid="end-meeting-confirm">
          <p id="end-title"><strong>End the meeting for everyone?</strong></p>
          <p id="end-text">Everyone, you included, leaves at once.</p>
          <div class="row">
            <button type="button" class="danger" data-testid="confirm-end-meeting" (click)="endMeeting()">End meeting</button>
            <button type="button" data-testid="cancel-end-meeting" (click)="confirming.set(false)">Cancel</button>
          </div>
        </div>
      }
    </section>
  `,
  styles: `
    section { display: grid; gap: 0.4rem; }
    h2 { font-size: 1rem; margin: 0; }
    .row { display: flex; flex-wrap: wrap; gap: 0.4rem; }
    .confirm { padding: 0.6rem; border-radius: 8px; background: #5c1f1f; color: #fee; display: grid; gap: 0.4rem; }
    .confirm p { margin: 0; }
  `,
})
export class MeetingControlsComponent {
  private readonly session = inject(MediaSession);
  private readonly call = inject(CallService);
  protected readonly confirming = signal(false);
  protected readonly lobbyOn = computed(() => this.session.roomSettings()?.lobby ?? false);
  protected readonly locked = computed(() => this.session.roomSettings()?.locked ?? false);

  protected muteAll(): Promise<void> {
    return this.call.attempt(() => this.session.muteAll('mic'));
  }

  protected toggleLobby(): Promise<void> {
    return this.call.attempt(() => this.session.updateRoomSettings({ lobby: !this.lobbyOn() }));
  }

  protected toggleLock(): Promise<void> {
    return this.call.attempt(() => this.session.updateRoomSettings({ locked: !this.locked() }));
  }

  protected endMeeting(): Promise<void> {
    this.confirming.set(false);
    return this.call.attempt(() => this.session.endMeeting());
  }
}
