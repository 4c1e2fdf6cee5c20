/**
 * A test double of the part of mediasoup's worker API Confer uses, for machines
 * without a mediasoup-worker binary. Where the app depends on mediasoup's
 * behaviour the double reproduces it with mediasoup's own code: capabilities
 * and RTP parameters come from `mediasoup/ortc`, errors from `mediasoup/errors`,
 * and close events cascade the way the worker makes them (router → transports →
 * producers/consumers; producer → its consumers get `producerclose`), and
 * `pipeToRouter()` links a pipe consumer and a piped producer with the same id
 * the way mediasoup's Router does (the pipe transport pair is shared per router
 * pair; closing one side closes the other).
 * `dump()` counts live objects so tests can assert nothing leaks.
 */
import type { AppData, Worker, WorkerSettings } from 'mediasoup/types';
import type { MediasoupApi, MediasoupApiSource } from '../../workers/mediasoup-api';
import type { FakeActiveSpeakerObserver } from './fake-active-speaker-observer';
import { FakeRegistry } from './fake-registry';
import { FakeWorker } from './fake-worker';

/**
 * The double's entry point: `createWorker` and `version` like mediasoup's module,
 * plus the registry of live objects.
 */
export class FakeMediasoup extends FakeRegistry implements MediasoupApi {
  readonly version = 'fake';

  async createWorker<T extends AppData = AppData>(settings: WorkerSettings<T> = {}): Promise<Worker<T>> {
    return new FakeWorker(this, settings.appData ?? {}) as unknown as Worker<T>;
  }

  /** As SIGKILL of the worker process: mediasoup reports it `died`. */
  kill(worker: Worker): void {
    (worker as unknown as FakeWorker).die();
  }

  /** The live active speaker observers (tests trigger `dominantspeaker` through them). */
  speakerObservers(): FakeActiveSpeakerObserver[] {
    return [...this.live.rtpObserver] as FakeActiveSpeakerObserver[];
  }
}

/** A {@link MediasoupApiSource} serving `fake` instead of the real mediasoup. */
export function fakeMediasoupSource(fake: FakeMediasoup = new FakeMediasoup()): MediasoupApiSource & { fake: FakeMediasoup } {
  return {
    fake,
    resolve: () => ({ path: '(test double)', source: 'package', detail: 'mediasoup test double (apps/api/src/testing/mediasoup-double)' }),
    load: async () => fake,
  };
}
