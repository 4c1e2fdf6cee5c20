import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MediaSession } from '@confer/media';
import { ParticipantMenuComponent } from '../moderation/participant-menu.component';
import { RoleBadgeComponent } from '../moderation/role-badge.component';
import { CallService } from '../shared/call.service';
import { IconComponent } from '../shared/icon.component';

/** Everyone in the room, with role, microphone/camera state and who is speaking; moderators get a menu per participant. */
@Component({
  selector: 'cf-peer-list',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [IconComponent, RoleBadgeComponent, ParticipantMenuComponent],
  template: `
    <h2 id="peers-title">Participants ({{ rows().length }})</h2>
    <ul aria-labelledby="peers-title" data-testid="peer-list">
      @for (row of rows(); track row.id) {
        <li data-testid="peer" [attr.data-peer-id]="row.id" [class.speaking]="row.speaking">
          <span class="name">{{ row.name }}</span>
          <cf-role-badge [role]="row.role" />
          <span class="icons">
            <span [attr.aria-label]="row.mic ? 'microphone on' : 'microphone off'" role="img" [class.off]="!row.mic"><cf-icon [name]="row.mic ? 'mic' : 'mic-off'" /></span>
            <span [attr.aria-label]="row.cam ? 'camera on' : 'camera off'" role="img" [class.off]="!row.cam"><cf-icon [name]="row.cam ? 'camera' : 'camera-off'" /></span>
            @if (row.peer && moderator()) {
              <cf-participant-menu [peer]="row.peer" />
            }
          </span>
        </li>
      }
    </ul>
  `,
  styles: `
    h2 { font-size: 1rem; margin: 0 0 0.4rem; }
    ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.25rem; }
    li { display: flex; justify-content: space-between; gap: 0.5rem; padding: 0.3rem 0.5rem; border-radius: 6px; background: var(--panel-2); }
    li.speaking { box-shadow: inset 3px 0 0 var(--accent); }
    .icons { display: inline-flex; gap: 0.3rem; }
    .icons .off { color: var(--muted); }
    .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; flex: 1; }
    li { align-items: center; }
  `,
})
export class PeerListComponent {
  private readonly session = inject(MediaSession);
  private readonly call = inject(CallService);

  protected readonly moderator = this.session.isModerator;
  protected readonly rows = computed(() => {
    const speaker = this.session.activeSpeaker();
    const mine = this.session.localProducers();
    const me = this.session.peerId() ?? 'me';
    const byPeer = this.session.consumersByPeer();
    return [
      {
        id: me,
        name: `${this.call.displayName()} (you)`,
        mic: mine.some((p) => p.source === 'mic' && !p.paused),
        cam: mine.some((p) => p.source === 'webcam' && !p.paused),
        speaking: speaker === me,
        role: this.session.role(),
        peer: null,
      },
      ...this.session.remotePeers().map((peer) => {
        const consumers = byPeer.get(peer.id) ?? [];
        return {
          id: peer.id,
          name: peer.displayName,
          mic: consumers.some((c) => c.source === 'mic' && !c.producerPaused),
          cam: consumers.some((c) => c.source === 'webcam' && !c.producerPaused),
          speaking: speaker === peer.id,
          role: peer.role,
          peer,
        };
      }),
    ];
  });
}
