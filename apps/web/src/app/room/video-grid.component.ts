import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { MediaSession, type RemoteConsumer } from '@confer/media';
import type { ConsumerScore, ProducerScore } from '@confer/signaling-contracts';
import { CallService } from '../shared/call.service';
import { TileComponent, type Quality, type TileModel } from './tile.component';

/** Local and remote tiles in a responsive grid; a screen share is its own tile. */
@Component({
  selector: 'cf-video-grid',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [TileComponent],
  template: `
    <section class="grid" [class.single]="tiles().length === 1" aria-label="Participants' video" data-testid="video-grid">
      @for (tile of tiles(); track tile.key) {
        <cf-tile [tile]="tile" />
      }
    </section>
  `,
  styles: `
    .grid { display: grid; gap: 0.6rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 18rem), 1fr)); align-content: start; }
    .grid.single { grid-template-columns: minmax(0, 60rem); justify-content: center; }
  `,
})
export class VideoGridComponent {
  private readonly session = inject(MediaSession);
  private readonly call = inject(CallService);

  protected readonly tiles = computed<TileModel[]>(() => {
    const me = this.session.peerId() ?? 'me';
    const speaker = this.session.activeSpeaker();
    const producers = this.session.localProducers();
    const mic = producers.find((p) => p.source === 'mic');
    const cam = producers.find((p) => p.source === 'webcam');
    const screen = producers.find((p) => p.source === 'screen');
    const name = this.call.displayName() || 'You';
    const tiles: TileModel[] = [
      {
        key: 'local-webcam',
        peerId: me,
        displayName: name,
        source: 'webcam',
        local: true,
        video: cam?.track ?? null,
        videoPaused: cam?.paused ?? false,
        micMuted: !mic || mic.paused,
        speaking: speaker === me,
        quality: cam ? producerQuality(cam.score) : mic ? producerQuality(mic.score) : 'unknown',
        role: this.session.role(),
      },
    ];
    if (screen) {
      tiles.push({ key: 'local-screen', peerId: me, displayName: name, source: 'screen', local: true, video: screen.track, videoPaused: screen.paused, micMuted: false, speaking: false, quality: producerQuality(screen.score), role: null });
    }
    const byPeer = this.session.consumersByPeer();
    for (const peer of this.session.remotePeers()) {
      const consumers = byPeer.get(peer.id) ?? [];
      const video = consumers.find((c) => c.source === 'webcam');
      const audio = consumers.find((c) => c.source === 'mic');
      tiles.push({
        key: `${peer.id}-webcam`,
        peerId: peer.id,
        displayName: peer.displayName,
        source: 'webcam',
        local: false,
        video: video?.track ?? null,
        videoPaused: video ? video.producerPaused || video.paused : false,
        micMuted: !audio || audio.producerPaused,
        speaking: speaker === peer.id,
        quality: consumerQuality(video ?? audio),
        role: peer.role,
      });
      for (const share of consumers.filter((c) => c.source === 'screen')) {
        tiles.push({
          key: `${peer.id}-screen-${share.id}`,
          peerId: peer.id,
          displayName: peer.displayName,
          source: 'screen',
          local: false,
          video: share.track,
          videoPaused: share.producerPaused,
          micMuted: false,
          speaking: false,
          quality: consumerQuality(share),
          role: null,
        });
      }
    }
    return tiles;
  });
}

/** mediasoup scores run 0–10: the worse of the consumer's and its producer's. */
function consumerQuality(consumer: RemoteConsumer | undefined): Quality {
  const score: ConsumerScore | null | undefined = consumer?.score;
  if (!score) return 'unknown';
  return bucket(Math.min(score.score, score.producerScore));
}

function producerQuality(scores: ProducerScore[]): Quality {
  if (!scores.length) return 'unknown';
  return bucket(Math.max(...scores.map((s) => s.score)));
}

function bucket(score: number): Quality {
  return score >= 7 ? 'good' : score >= 4 ? 'fair' : 'poor';
}
