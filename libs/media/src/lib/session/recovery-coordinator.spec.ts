import { TestBed } from '@angular/core/testing';
import { SignalingError } from '@confer/signaling-contracts';
import { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import { Subject } from 'rxjs';
import { FakeSignalingServer, until } from '../../testing/fake-signaling-server';
import { MediaTestRig } from '../../testing/media-testing';
import { SignalingClient } from '../signaling/signaling-client';
import type { LocalProducer, RecoveryKind } from './media-session.types';
import { RecoveryCoordinator, type SessionParts } from './recovery-coordinator';
import { SessionContext } from './session-context';
import { SessionStore } from './session-store';

/** Parts that only record what the coordinator asks of them. */
function fakeParts() {
  const calls: string[] = [];
  const record = (name: string) => jest.fn(async () => void calls.push(name));
  const parts = {
    publisher: { close: jest.fn((stopTracks: boolean) => calls.push(`publisher.close(${stopTracks})`)), restore: jest.fn(async (p: LocalProducer) => void calls.push(`restore(${p.source})`)) },
    subscriber: { close: jest.fn(() => calls.push('subscriber.close')) },
    transports: {
      close: jest.fn(() => calls.push('transports.close')),
      dispose: jest.fn(),
      ice: { transportLost$: new Subject<string>(), changes$: new Subject<void>(), recovering: false, restartAll: record('restartAll') },
    },
    joinSequence: { run: record('join') },
  };
  return { calls, parts, asParts: parts as unknown as SessionParts };
}

describe('RecoveryCoordinator', () => {
  let server: FakeSignalingServer;
  let store: SessionStore;
  let context: SessionContext;
  let fake: ReturnType<typeof fakeParts>;
  let coordinator: RecoveryCoordinator;

  const producer = (source: LocalProducer['source'], paused = false): LocalProducer => ({
    id: `${source}-1`,
    source,
    kind: source === 'mic' ? 'audio' : 'video',
    track: new FakeMediaStreamTrack({ kind: source === 'mic' ? 'audio' : 'video' }) as unknown as MediaStreamTrack,
    paused,
    score: [],
  });

  beforeEach(async () => {
    server = new FakeSignalingServer();
    TestBed.configureTestingModule({ providers: new MediaTestRig(server).providers() });
    const signaling = TestBed.inject(SignalingClient);
    store = new SessionStore();
    context = new SessionContext(signaling, store);
    fake = fakeParts();
    coordinator = new RecoveryCoordinator(context, fake.asParts);
    coordinator.start({ token: 'tok', roomId: 'room-1', displayName: 'Me' }, []);
    await signaling.connect('tok');
    await coordinator.setUp();
    store.state.set('joined');
    fake.calls.length = 0;
  });

  afterEach(() => {
    coordinator.teardown();
    TestBed.inject(SignalingClient).close();
  });

  it('rebuilds on mediaReset: closes media keeping the tracks, joins again, restores the same producers, in that order', async () => {
    const mic = producer('mic', true);
    const cam = producer('webcam');
    store.producers.set([mic, cam]);
    const recoveries: (RecoveryKind | null)[] = [];
    store.recovery.changes$.subscribe((r) => recoveries.push(r));

    server.notify('mediaReset', { reason: 'worker died' });
    await until(() => fake.calls.includes('restore(webcam)') && store.state.value === 'joined');

    expect(fake.calls).toEqual(['subscriber.close', 'publisher.close(false)', 'transports.close', 'join', 'restore(mic)', 'restore(webcam)']);
    expect(fake.parts.publisher.restore.mock.calls.map(([p]) => p)).toEqual([mic, cam]);
    expect(mic.track.readyState).toBe('live');
    expect(recoveries).toEqual([null, 'media', null]);
  });

  it('rebuilds when the ICE watchdog reports a transport the server forgot', async () => {
    fake.parts.transports.ice.transportLost$.next('restartIce: no such transport');
    await until(() => fake.calls.includes('join') && store.state.value === 'joined');
  });

  it('a rebuild that fails (not by a lost connection) ends failed with the error and stops the kept tracks', async () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const mic = producer('mic');
    store.producers.set([mic]);
    fake.parts.joinSequence.run.mockRejectedValueOnce(new SignalingError('forbidden', 'room closed'));
    server.notify('mediaReset', { reason: 'worker died' });
    await until(() => store.state.value === 'failed');
    expect(store.error.value).toMatchObject({ code: 'forbidden' });
    expect(mic.track.readyState).toBe('ended');
  });

  it('after a resumed reconnection keeps the media and restarts ICE; after one that was not resumed, rebuilds', async () => {
    server.socket.drop();
    await until(() => fake.calls.includes('restartAll'));
    expect(fake.calls).toEqual(['restartAll']);
    expect(store.state.value).toBe('joined');

    server.on('authenticate', () => server.session(false));
    server.socket.drop();
    await until(() => fake.calls.includes('join') && store.state.value === 'joined');
    expect(fake.calls.slice(1)).toEqual(['subscriber.close', 'publisher.close(false)', 'transports.close', 'join']);
  });

  it('teardown() stops following the session: a later mediaReset rebuilds nothing', async () => {
    coordinator.teardown();
    fake.calls.length = 0;
    server.notify('mediaReset', { reason: 'worker died' });
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.parts.joinSequence.run).toHaveBeenCalledTimes(1); // the set-up in beforeEach only
  });
});
