import { FakeMediasoup, fakeMediasoupSource } from '../../src/testing/mediasoup-double';
import { MEDIASOUP_API, realMediasoup, type MediasoupApiSource } from '../../src/workers/mediasoup-api';
import { resolveWorkerBin } from '../../src/workers/worker-bin';

export { MEDIASOUP_API };

/** A mediasoup to run the protocol scenarios against. */
export interface Backend {
  name: string;
  source(): MediasoupApiSource & { fake?: FakeMediasoup };
}

export const fakeBackend: Backend = {
  name: 'test double',
  source: () => fakeMediasoupSource(new FakeMediasoup()),
};

/** The real worker, when resolveWorkerBin() finds one (the same resolution the server uses). */
export const realWorker = resolveWorkerBin();

export const realBackend: Backend = {
  name: `real worker (${realWorker.path ?? 'none'})`,
  source: () => realMediasoup,
};

/** The test double always; the real worker when one exists. */
export const backends: Backend[] = [fakeBackend, ...(realWorker.path ? [realBackend] : [])];

/** Printed by every protocol suite so CI output says which backends ran. */
export const backendsBanner = realWorker.path
  ? `protocol scenarios: test double + real worker at ${realWorker.path}`
  : `protocol scenarios: test double only; real worker: skipped — ${realWorker.detail}`;
