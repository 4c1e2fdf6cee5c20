import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, signal } from '@angular/core';
import { MediaSession, MediaStreamDirective } from '@confer/media';
import { LobbyPanelComponent } from '../moderation/lobby-panel.component';
import { MeetingControlsComponent } from '../moderation/meeting-controls.component';
import { RecordingBannerComponent } from '../recording/recording-banner.component';
import { WaitingRoomComponent } from '../moderation/waiting-room.component';
import { CallService } from '../shared/call.service';
import { ChatPanelComponent } from './chat-panel.component';
import { ControlsComponent } from './controls.component';
import { FilePanelComponent } from './file-panel.component';
import { PeerListComponent } from './peer-list.component';
import { VideoGridComponent } from './video-grid.component';

/**
 * The meeting: video grid, side panel (people, chat, files; for moderators the
 * meeting controls and the waiting room), controls, remote audio. While this peer
 * waits in the lobby, only the waiting screen.
 */
@Component({
  selector: 'cf-room',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    VideoGridComponent,
    PeerListComponent,
    ChatPanelComponent,
    FilePanelComponent,
    ControlsComponent,
    MediaStreamDirective,
    WaitingRoomComponent,
    LobbyPanelComponent,
    MeetingControlsComponent,
    RecordingBannerComponent,
  ],
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
        return this.session.recovery() === 'connection' ? 'Reconnecting…' : 'Reconnecting media…';
      case 'joined':
        if (this.session.recovery() === 'ice') return 'Reconnecting media…';
        return this.session.mediaAvailable() ? 'Connected' : 'Connected (no media)';
      default:
        return '';
    }
  });

  /**
   * The side panels (people, chat, files, moderation) render once the room is joined
   * and the main thread is idle: on the page's one thread, their first render would
   * otherwise delay handling the first `newConsumer` and so the first remote frame.
   */
  protected readonly panelsShown = signal(false);

  constructor() {
    let idle: (() => void) | null = null;
    effect(() => {
      if (this.panelsShown() || idle || this.session.state() === 'joining') return;
      idle = whenIdle(() => this.panelsShown.set(true), SIDE_PANELS_MAX_DELAY_MS);
    });
    inject(DestroyRef).onDestroy(() => idle?.());

  }

  protected leave(): Promise<void> {
    return this.call.leave();
  }
}

/** The side panels wait for an idle main thread at most this long after joining. */
export const SIDE_PANELS_MAX_DELAY_MS = 300;

/** Runs `task` when the main thread is idle (at the latest after `timeoutMs`); returns the canceller. */
function whenIdle(task: () => void, timeoutMs: number): () => void {
  const g = globalThis as { requestIdleCallback?: (cb: () => void, o: { timeout: number }) => number; cancelIdleCallback?: (id: number) => void };
  if (g.requestIdleCallback && g.cancelIdleCallback) {
    const id = g.requestIdleCallback(task, { timeout: timeoutMs });
    return () => g.cancelIdleCallback?.(id);
  }
  const timer = setTimeout(task, 0);
  return () => clearTimeout(timer);
}
