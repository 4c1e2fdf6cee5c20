import { Logger } from '@nestjs/common';
import { SignalingError } from '@confer/signaling-contracts';
import { NotFoundError, UnsupportedError, WorkerClosedError } from 'mediasoup/errors';
import { validateAndNormalizeRtpCapabilities } from 'mediasoup/ortc';
import type { RtpCapabilities } from 'mediasoup/types';
import { FakeMediasoup } from '../testing/mediasoup-double';
import { SignalingExceptionFilter } from './signaling-exception.filter';

describe('SignalingExceptionFilter', () => {
  const filter = new SignalingExceptionFilter();
  const where = { method: 'produce', requestId: 7, peerId: 'alice' };
  let logged: jest.SpyInstance;

  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  it('answers a SignalingError with its own code and reason', () => {
    expect(filter.catch(new SignalingError('forbidden', 'not yours'), where)).toEqual({ code: 'forbidden', reason: 'not yours' });
    expect(logged).not.toHaveBeenCalled();
  });

  it.each([
    [new UnsupportedError('unsupported codec'), 'invalid_request'],
    [new NotFoundError('Producer not found'), 'not_found'],
    [new WorkerClosedError('Channel closed'), 'media_unavailable'],
  ])('maps mediasoup’s %s by class', (error, code) => {
    expect(filter.catch(error, where)).toEqual({ code, reason: error.message });
    expect(logged).not.toHaveBeenCalled();
  });

  it('classifies the test double’s errors the same way, knowing nothing of it', async () => {
    const fake = new FakeMediasoup();
    const worker = await fake.createWorker();
    const [a, b] = [await worker.createRouter({ mediaCodecs: [] }), await worker.createRouter({ mediaCodecs: [] })];
    const error = await a.pipeToRouter({ producerId: 'missing', router: b }).catch((e: unknown) => e);
    expect(filter.catch(error, where)).toMatchObject({ code: 'not_found' });
    worker.close();
  });

  it('answers internal (and logs) for a TypeError, even one thrown inside mediasoup', () => {
    let typeError: unknown;
    try {
      validateAndNormalizeRtpCapabilities({ codecs: 'not a list' } as unknown as RtpCapabilities);
    } catch (e) {
      typeError = e;
    }
    expect(typeError).toBeInstanceOf(TypeError);
    expect(filter.catch(typeError, where)).toEqual({ code: 'internal', reason: 'internal error handling produce #7' });
    expect(logged).toHaveBeenCalledTimes(1);
  });

  it('does not go by name: an error merely named like mediasoup’s is internal', () => {
    const impostor = Object.assign(new Error('looks familiar'), { name: 'NotFoundError' });
    expect(filter.catch(impostor, where).code).toBe('internal');
  });

  it('answers internal for a thrown non-Error', () => {
    expect(filter.catch('boom', { method: 'join', requestId: null })).toEqual({ code: 'internal', reason: 'internal error handling join #null' });
  });
});
