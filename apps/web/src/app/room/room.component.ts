import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MediaSession, MediaStreamDirective } from '@confer/media';
import { CallService } from '../shared/call.service';
import { ChatPanelComponent } from './chat-panel.component';
import { ControlsComponent } from './controls.component';
import { FilePanelComponent } from './file-panel.component';
import { PeerListComponent } from './peer-list.component';
import { VideoGridComponent } from './video-grid.component';

/** The meeting: video grid, side panel (people, chat, files), controls, remote audio. */
@Component({
  selector: 'cf-room',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [VideoGridComponent, PeerListComponent, ChatPanelComponent, FilePanelComponent, ControlsComponent, MediaStreamDirective],
  templateUrl: './room.component.html',
  styleUrl: './room.component.css',
})
export class RoomComponent {
  protected readonly call = inject(CallService);
  protected readonly session = inject(MediaSession);

  /** Every remote audio track plays in its own element (video elements stay muted). */
  protected readonly remoteAudio = computed(() => this.session.consumers().filter((c) => c.kind === 'audio'));
  protected readonly status = computed(() => {
    switch (this.session.state()) {
      case 'joining':
        return 'Joining…';
      case 'reconnecting':
        return 'Reconnecting…';
      case 'joined':
        return this.session.mediaAvailable() ? 'Connected' : 'Connected (no media)';
      default:
        return '';
    }
  });

  protected leave(): Promise<void> {
    return this.call.leave();
  }
}
