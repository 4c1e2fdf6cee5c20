import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { MediaSession, type LocalProducer, type RemoteConsumer, type RemotePeer } from '@confer/media';
import { CallService } from '../shared/call.service';
import { VideoGridComponent } from './video-grid.component';

function track(kind: 'audio' | 'video'): MediaStreamTrack {
  return { kind, id: `${kind}-${Math.random()}` } as MediaStreamTrack;
}

function consumer(peerId: string, source: RemoteConsumer['source'], patch: Partial<RemoteConsumer> = {}): RemoteConsumer {
  const kind = source === 'mic' || source === 'screen-audio' ? 'audio' : 'video';
  return { id: `${peerId}-${source}`, peerId, producerId: 'p', kind, source, type: 'simple', track: track(kind), paused: false, producerPaused: false, score: null, layers: null, preferredLayers: null, ...patch };
}

describe('VideoGridComponent', () => {
  const peers = signal<RemotePeer[]>([]);
  const consumers = signal<RemoteConsumer[]>([]);
  const producers = signal<LocalProducer[]>([]);
  const speaker = signal<string | null>(null);

  beforeEach(() => {
    const byPeer = () => {
      const map = new Map<string, RemoteConsumer[]>();
      for (const c of consumers()) map.set(c.peerId, [...(map.get(c.peerId) ?? []), c]);
      return map;
    };
    TestBed.configureTestingModule({
      providers: [
        {
          provide: MediaSession,
          useValue: { peerId: signal('me'), activeSpeaker: speaker, localProducers: producers, remotePeers: peers, consumersByPeer: byPeer, role: signal('host') },
        },
        { provide: CallService, useValue: { displayName: signal('Ada') } },
      ],
    });
    // jsdom implements neither playback nor MediaStream; tiles only need these to exist.
    jest.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
    (globalThis as { MediaStream?: unknown }).MediaStream ??= class {
      constructor(readonly tracks: MediaStreamTrack[]) {}
      getTracks() {
        return this.tracks;
      }
    };
  });

  it('shows a local tile, one tile per remote camera and a separate tile per screen share', async () => {
    peers.set([{ id: 'bob', displayName: 'Bob Stone', device: { flag: 'chrome', name: 'Chrome' }, role: 'moderator' }]);
    consumers.set([
      consumer('bob', 'mic', { producerPaused: true }),
      consumer('bob', 'webcam', { score: { score: 10, producerScore: 5, producerScores: [5] } }),
      consumer('bob', 'screen'),
    ]);
    speaker.set('bob');
    const fixture = TestBed.createComponent(VideoGridComponent);
    await fixture.whenStable();
    const tiles = [...(fixture.nativeElement as HTMLElement).querySelectorAll('cf-tile')];
    expect(tiles.map((t) => `${t.getAttribute('data-peer-id')}/${t.getAttribute('data-source')}`)).toEqual(['me/webcam', 'bob/webcam', 'bob/screen']);
    const bob = tiles[1];
    expect(bob.classList).toContain('speaking');
    expect(bob.querySelector('[data-testid="mic-muted"]')).not.toBeNull();
    expect(bob.querySelector('[data-testid="quality"]')?.getAttribute('data-quality')).toBe('fair');
    expect(bob.getAttribute('aria-label')).toBe('Bob Stone, camera, speaking');
    expect(tiles[0].querySelector('.avatar')?.textContent?.trim()).toBe('A');
    // Role badges on camera tiles (not on screen shares).
    expect(tiles.map((t) => t.querySelector('[data-testid="role-badge"]')?.textContent ?? null)).toEqual(['Host', 'Moderator', null]);
  });
});
