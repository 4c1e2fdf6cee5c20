import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { IconComponent } from '../shared/icon.component';
import { MediaStreamDirective } from '@confer/media';
import type { Role } from '@confer/signaling-contracts';
import { RoleBadgeComponent } from '../moderation/role-badge.component';

export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

/** What one tile shows. */
export interface TileModel {
  key: string;
  peerId: string;
  displayName: string;
  source: 'webcam' | 'screen';
  local: boolean;
  video: MediaStreamTrack | null;
  /** The other side paused (muted) this video. */
  videoPaused: boolean;
  micMuted: boolean;
  speaking: boolean;
  quality: Quality;
  /** The participant's role (a badge for hosts, moderators and viewers); null when not known. */
  role: Role | null;
}

/** One video tile: video (or initials), name, mic state, speaking ring, quality bars. */
@Component({
  selector: 'cf-tile',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MediaStreamDirective, IconComponent, RoleBadgeComponent],
  host: {
    class: 'tile',
    'data-testid': 'tile',
    '[attr.data-peer-id]': 'tile().peerId',
    '[attr.data-source]': 'tile().source',
    '[attr.data-local]': 'tile().local',
    '[class.speaking]': 'tile().speaking',
    '[class.screen]': "tile().source === 'screen'",
    role: 'group',
    '[attr.aria-label]': 'label()',
  },
  template: `
    @if (tile().video && !tile().videoPaused) {
      <video
        data-testid="tile-video"
        [cfMediaStream]="[tile().video]"
        [class.mirror]="tile().local && tile().source === 'webcam'"
        autoplay
        muted
        playsinline
      ></video>
    } @else {
      <div class="avatar" aria-hidden="true">{{ initials() }}</div>
    }
    <div class="caption">
      <span class="name">{{ tile().displayName }}{{ tile().local ? ' (you)' : '' }}{{ tile().source === 'screen' ? ' — screen' : '' }}</span>
      @if (tile().source === 'webcam') {
        <cf-role-badge [role]="tile().role" />
      }
      @if (tile().source === 'webcam' && tile().micMuted) {
        <span class="badge" data-testid="mic-muted" title="Microphone off" role="img" aria-label="microphone off"><cf-icon name="mic-off" /></span>
      }
      @if (tile().quality !== 'unknown') {
        <span class="quality {{ tile().quality }}" data-testid="quality" [attr.data-quality]="tile().quality" [title]="'Connection: ' + tile().quality">
          <i></i><i></i><i></i>
        </span>
      }
    </div>
  `,
  styleUrl: './tile.component.css',
})
export class TileComponent {
  readonly tile = input.required<TileModel>();
  protected readonly initials = computed(() =>
    this.tile()
      .displayName.split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0]?.toUpperCase())
      .join(''),
  );
  protected readonly label = computed(() => {
    const t = this.tile();
    return `${t.displayName}${t.local ? ' (you)' : ''}, ${t.source === 'screen' ? 'screen share' : 'camera'}${t.speaking ? ', speaking' : ''}`;
  });
}
