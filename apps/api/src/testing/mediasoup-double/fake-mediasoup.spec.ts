import type { Consumer, Producer, Router, RtpCapabilities, WebRtcTransport, Worker } from 'mediasoup/types';
import type { RtpParameters as WireRtpParameters } from '@confer/signaling-contracts';
import { sendRtpParameters } from '../../../test/support/rtp';
import { ROUTER_MEDIA_CODECS } from '../../rooms/media-codecs';
import { realMediasoup, type MediasoupApi } from '../../workers/mediasoup-api';
import { resolveWorkerBin } from '../../workers/worker-bin';
import { FakeMediasoup } from './fake-mediasoup';

// The double's contract: behave like mediasoup wherever Confer depends on it.
// Each case runs against the double and, when a worker exists, the real thing.
const worker = resolveWorkerBin();
const impls: [string, () => Promise<MediasoupApi>][] = [
  ['test double', async () => new FakeMediasoup()],
  ...(worker.path ? [['real mediasoup', () => realMediasoup.load(worker)] as [string, () => Promise<MediasoupApi>]] : []),
];
if (!worker.path) console.log(`fake-mediasoup.spec: real worker skipped — ${worker.detail}`);

const listenInfos = [{ protocol: 'udp' as const, ip: '127.0.0.1' }];
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 50));
const rtp = (kind: 'audio' | 'video', caps: RtpCapabilities) => sendRtpParameters(kind, caps as never) as unknown as Parameters<WebRtcTransport['produce']>[0]['rtpParameters'];

describe.each(impls)('mediasoup behaviour Confer relies on: %s', (_name, load) => {
  let api: MediasoupApi;
  let w: Worker;
  let router: Router;
  let send: WebRtcTransport;
  let recv: WebRtcTransport;

  beforeAll(async () => {
    api = await load();
    w = await api.createWorker({ logLevel: 'none', workerBin: worker.path ?? undefined });
  });
  afterAll(() => w.close());

  beforeEach(async () => {
    router = await w.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
    send = await router.createWebRtcTransport({ listenInfos, enableSctp: true });
    recv = await router.createWebRtcTransport({ listenInfos, enableSctp: true });
  });
  afterEach(() => router.close());

  it('router capabilities carry opus, VP8, VP9 and H264 with RTX', () => {
    const mimes = router.rtpCapabilities.codecs?.map((c) => c.mimeType) ?? [];
    for (const m of ['audio/opus', 'video/VP8', 'video/VP9', 'video/H264', 'video/rtx']) expect(mimes).toContain(m);
  });

  it('transports expose ICE, DTLS and SCTP parameters', () => {
    expect(send.iceParameters.usernameFragment).toEqual(expect.any(String));
    expect(send.iceCandidates[0]).toMatchObject({ address: '127.0.0.1', protocol: 'udp', type: 'host' });
    expect(send.dtlsParameters.fingerprints.length).toBeGreaterThan(0);
    expect(send.sctpParameters).toMatchObject({ port: 5000 });
  });

  it('consumers: canConsume, paused creation, RTP parameters from ortc', async () => {
    const producer: Producer = await send.produce({ kind: 'video', rtpParameters: rtp('video', router.rtpCapabilities) });
    expect(producer.type).toBe('simple');
    expect(router.canConsume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities })).toBe(true);
    const audioOnly = { codecs: router.rtpCapabilities.codecs?.filter((c) => c.kind === 'audio'), headerExtensions: [] };
    expect(router.canConsume({ producerId: producer.id, rtpCapabilities: audioOnly })).toBe(false);
    expect(router.canConsume({ producerId: 'nope', rtpCapabilities: router.rtpCapabilities })).toBe(false);
    const consumer: Consumer = await recv.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities, paused: true });
    expect(consumer).toMatchObject({ kind: 'video', paused: true, producerPaused: false, type: 'simple', producerId: producer.id });
    expect(consumer.rtpParameters.codecs.map((c) => c.mimeType)).toEqual(['video/VP8', 'video/rtx']);
    expect(consumer.rtpParameters.mid).toBe('0');
    await consumer.resume();
    expect(consumer.paused).toBe(false);
  });

  it('errors: TypeError for bad parameters, UnsupportedError for an unknown codec, NotFound for a missing producer', async () => {
    await expect(send.produce({ kind: 'audio', rtpParameters: { codecs: 'x' } as never })).rejects.toThrow(TypeError);
    await expect(
      send.produce({ kind: 'audio', rtpParameters: { codecs: [{ mimeType: 'audio/G729', payloadType: 18, clockRate: 8000 }], encodings: [{ ssrc: 1 }] } as never }),
    ).rejects.toMatchObject({ name: 'UnsupportedError' });
    await expect(recv.consume({ producerId: 'missing', rtpCapabilities: router.rtpCapabilities })).rejects.toMatchObject({ name: 'NotFoundError' });
  });

  it('close cascades: producer → consumers (producerclose), transport → children (transportclose), router → transports (routerclose)', async () => {
    const producer = await send.produce({ kind: 'audio', rtpParameters: rtp('audio', router.rtpCapabilities) });
    const consumer = await recv.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    const events: string[] = [];
    consumer.on('producerclose', () => events.push('consumer:producerclose'));
    consumer.observer.on('close', () => events.push('consumer:observer-close'));
    producer.close();
    await tick();
    expect(consumer.closed).toBe(true);
    expect(events).toEqual(['consumer:producerclose', 'consumer:observer-close']);
    await expect(consumer.resume()).rejects.toThrow();

    const p2 = await send.produce({ kind: 'audio', rtpParameters: rtp('audio', router.rtpCapabilities) });
    const c2 = await recv.consume({ producerId: p2.id, rtpCapabilities: router.rtpCapabilities });
    const cascade: string[] = [];
    p2.on('transportclose', () => cascade.push('producer:transportclose'));
    c2.on('producerclose', () => cascade.push('consumer:producerclose'));
    send.close();
    await tick();
    expect(p2.closed).toBe(true);
    expect(cascade[0]).toBe('producer:transportclose');
    expect(c2.closed).toBe(true);

    const routerClosed = jest.fn();
    recv.on('routerclose', routerClosed);
    router.close();
    expect(routerClosed).toHaveBeenCalled();
    expect(recv.closed).toBe(true);
    expect((await w.dump()).routerIds).not.toContain(router.id);
  });

  it('producer pause reaches its consumers', async () => {
    const producer = await send.produce({ kind: 'audio', rtpParameters: rtp('audio', router.rtpCapabilities) });
    const consumer = await recv.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    const events: string[] = [];
    consumer.on('producerpause', () => events.push('pause'));
    consumer.on('producerresume', () => events.push('resume'));
    await producer.pause();
    await tick();
    await producer.resume();
    await tick();
    expect(events).toEqual(['pause', 'resume']);
  });

  it('data producers and consumers over SCTP', async () => {
    const dp = await send.produceData({ sctpStreamParameters: { streamId: 3, ordered: true }, label: 'l', protocol: 'p' });
    const dc = await recv.consumeData({ dataProducerId: dp.id });
    expect(dc).toMatchObject({ dataProducerId: dp.id, label: 'l', protocol: 'p' });
    expect(typeof dc.sctpStreamParameters?.streamId).toBe('number');
    const closed = jest.fn();
    dc.on('dataproducerclose', closed);
    dp.close();
    await tick();
    expect(closed).toHaveBeenCalled();
    expect(dc.closed).toBe(true);
  });

  it('pipeToRouter: same id on the other router, one pipe transport pair per router pair, pause and close follow the original, router close takes the pair', async () => {
    const w2 = await api.createWorker({ logLevel: 'none', workerBin: worker.path ?? undefined });
    const other = await w2.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
    const sameWorker = await w.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
    try {
      const otherRecv = await other.createWebRtcTransport({ listenInfos, enableSctp: true });
      // Audio first: the video parameters' RTX SSRC is the next SSRC of the helper.
      const audio = await send.produce({ kind: 'audio', rtpParameters: rtp('audio', router.rtpCapabilities) });
      const video = await send.produce({ kind: 'video', rtpParameters: rtp('video', router.rtpCapabilities) });
      const { pipeProducer, pipeConsumer } = await router.pipeToRouter({ producerId: video.id, router: other });
      await router.pipeToRouter({ producerId: audio.id, router: other });
      expect(pipeProducer?.id).toBe(video.id);
      // Keeping the id needs another worker: the worker refuses a second object with the same id.
      await expect(router.pipeToRouter({ producerId: audio.id, router: sameWorker })).rejects.toThrow(/already exists/);
      // The pair is shared: one more transport on each router.
      expect((await router.dump()).transportIds).toHaveLength(4);
      expect((await other.dump()).transportIds).toHaveLength(2);
      // A second pipe of the same producer is refused (the app caches pipes).
      await expect(router.pipeToRouter({ producerId: video.id, router: other })).rejects.toThrow(TypeError);
      expect(other.canConsume({ producerId: video.id, rtpCapabilities: router.rtpCapabilities })).toBe(true);
      const consumer = await otherRecv.consume({ producerId: video.id, rtpCapabilities: router.rtpCapabilities, paused: true });
      const events: string[] = [];
      consumer.on('producerpause', () => events.push('pause'));
      consumer.on('producerclose', () => events.push('close'));
      await video.pause();
      await tick();
      video.close();
      await tick();
      expect(events).toEqual(['pause', 'close']);
      expect(pipeConsumer?.closed).toBe(true);
      expect(pipeProducer?.closed).toBe(true);
      expect(consumer.closed).toBe(true);
      const dp = await send.produceData({ sctpStreamParameters: { streamId: 4, ordered: true }, label: 'chat' });
      const { pipeDataProducer } = await router.pipeToRouter({ dataProducerId: dp.id, router: other });
      expect(pipeDataProducer?.id).toBe(dp.id);
      const dc = await otherRecv.consumeData({ dataProducerId: dp.id });
      dp.close();
      await tick();
      expect(dc.closed).toBe(true);
      // The pipe transports on this router go with the routers at their other end.
      other.close();
      await tick();
      expect((await router.dump()).transportIds).toHaveLength(3);
      sameWorker.close();
      await tick();
      expect((await router.dump()).transportIds.sort()).toEqual([send.id, recv.id].sort());
    } finally {
      sameWorker.close();
      w2.close();
    }
  });
});

if (worker.path) {
  describe('the double matches the real worker', () => {
    it('computes the same router capabilities and consumer RTP parameters', async () => {
      const results: { caps: RtpCapabilities; consumer: WireRtpParameters }[] = [];
      for (const [, load] of impls) {
        const api = await load();
        const w = await api.createWorker({ logLevel: 'none', workerBin: worker.path ?? undefined });
        const router = await w.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
        const t = await router.createWebRtcTransport({ listenInfos });
        const producer = await t.produce({ kind: 'video', rtpParameters: rtp('video', router.rtpCapabilities) });
        const consumer = await t.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
        results.push({ caps: router.rtpCapabilities, consumer: consumer.rtpParameters as WireRtpParameters });
        w.close();
      }
      const [fake, real] = results;
      expect(fake.caps).toEqual(real.caps);
      expect(fake.consumer.codecs).toEqual(real.consumer.codecs);
      expect(fake.consumer.headerExtensions).toEqual(real.consumer.headerExtensions);
      expect(fake.consumer.encodings?.length).toBe(real.consumer.encodings?.length);
    });
  });
}
