import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { MediaSession, type RemotePeer } from '@confer/media';
import type { MutableSource, Permissions } from '@confer/signaling-contracts';
import { CallService } from '../shared/call.service';

/**
 * For moderators, next to another participant: a "Manage <name>" menu to mute the
 * mic, stop the camera or screen share, allow them again, change the role, or
 * remove them (with a reason).
 */
@Component({
  selector: 'cf-participant-menu',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(keydown.escape)': 'close()' },
  template: `
    <button
      type="button"
      class="trigger"
      data-testid="participant-menu"
      aria-haspopup="menu"
      [attr.aria-expanded]="open()"
      [attr.aria-label]="'Manage ' + peer().displayName"
      (click)="open.set(!open())"
    >
      ⋯
    </button>
    @if (open()) {
      <div class="menu" role="menu" [attr.aria-label]="'Actions for ' + peer().displayName" data-testid="participant-actions">
        @if (removing()) {
          <form (submit)="remove($event)">
            <label>
              Reason
              <input data-testid="remove-reason" [attr.aria-label]="'Reason for removing ' + peer().displayName" maxlength="200" [value]="reason()" (input)="reason.set($any($event.target).value)" />
            </label>
            <button type="submit" class="danger" data-testid="confirm-remove">Remove</button>
            <button type="button" (click)="removing.set(false)">Cancel</button>
          </form>
        } @else {
          <button type="button" role="menuitem" data-testid="mute-mic" (click)="mute('mic')">Mute microphone</button>
          <button type="button" role="menuitem" data-testid="stop-camera" (click)="mute('webcam')">Stop camera</button>
          <button type="button" role="menuitem" data-testid="stop-screen" (click)="mute('screen')">Stop screen share</button>
          <button type="button" role="menuitem" data-testid="allow-unmute" (click)="allow({ publishAudio: true })">Allow to unmute</button>
          <button type="button" role="menuitem" data-testid="allow-camera" (click)="allow({ publishVideo: true })">Allow camera</button>
          @if (peer().role !== 'host') {
            @if (peer().role === 'moderator') {
              <button type="button" role="menuitem" data-testid="remove-moderator" (click)="setRole('participant')">Remove moderator role</button>
            } @else {
              <button type="button" role="menuitem" data-testid="make-moderator" (click)="setRole('moderator')">Make moderator</button>
            }
            <button type="button" role="menuitem" class="danger" data-testid="remove-participant" (click)="removing.set(true)">Remove from meeting</button>
          }
        }
      </div>
    }
  `,
  styles: `
    :host { position: relative; display: inline-block; }
    .trigger { padding: 0 0.45rem; line-height: 1.4; }
    .menu { position: absolute; right: 0; z-index: 10; min-width: 12rem; display: grid; gap: 0.2rem; padding: 0.4rem; background: var(--panel); border: 1px solid var(--border); border-radius: 8px; box-shadow: 0 6px 18px rgb(0 0 0 / 0.4); }
    .menu button { text-align: left; }
    form { display: grid; gap: 0.3rem; }
    label { display: grid; gap: 0.2rem; font-size: 0.85rem; }
  `,
})
export class ParticipantMenuComponent {
  private readonly session = inject(MediaSession);
  private readonly call = inject(CallService);
  readonly peer = input.required<RemotePeer>();
  protected readonly open = signal(false);
  protected readonly removing = signal(false);
  protected readonly reason = signal('');
  private readonly peerId = computed(() => this.peer().id);

  protected close(): void {
    this.open.set(false);
    this.removing.set(false);
  }

  protected mute(source: MutableSource): Promise<void> {
    this.close();
    return this.call.attempt(() => this.session.muteParticipant(this.peerId(), source));
  }

  protected allow(permissions: Partial<Permissions>): Promise<void> {
    this.close();
    return this.call.attempt(() => this.session.setPermissions(this.peerId(), permissions));
  }

  protected setRole(role: 'moderator' | 'participant'): Promise<void> {
    this.close();
    return this.call.attempt(() => this.session.setRole(this.peerId(), role));
  }

  protected remove(event: Event): Promise<void> {
    event.preventDefault();
    const reason = this.reason().trim();
    this.close();
    this.reason.set('');
    return this.call.attempt(() => this.session.removeParticipant(this.peerId(), reason || undefined));
  }
}
