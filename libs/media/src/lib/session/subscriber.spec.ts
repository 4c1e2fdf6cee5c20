import { testFakeParameters } from 'mediasoup-client';
import type { Subscription } from 'rxjs';
import { FakeSignalingServer, settle, until } from '../../testing/fake-signaling-server';
import { MediaTestRig, connectParts, newConsumer, type ConnectedParts } from '../../testing/media-testing';
import { InvalidStateError } from '../errors';
import type { SessionStore } from './session-store';
import { Subscriber } from './subscriber';
import type { TransportManager } from './transport-manager';

describe('Subscriber', () => {
  let server: FakeSignalingServer;
  let rig: MediaTestRig;
  let store: SessionStore;
  let transports: TransportManager;
  let subscriber: Subscriber;
  let listening: Subscription;

  let parts: ConnectedParts;

  beforeEach(async () => {
    server = new FakeSignalingServer();
    rig = new MediaTestRig(server);
    parts = await connectParts(rig);
    ({ store, transports } = parts);
    subscriber = new Subscriber(parts.context);
    listening = subscriber.listen();
    store.state.set('joined');
    subscriber.prepare();
    await transports.loadDevice(testFakeParameters.generateRouterRtpCapabilities());
  });

  afterEach(() => {
    listening.unsubscribe();
    subscriber.close();
    parts.dispose();
  });

  it('answers newConsumer (which is what resumes it on the server) only after consume() resolved on the recv transport', async () => {
    const order: string[] = [];
    const answered = server.request('newConsumer', newConsumer('bob', 'webcam', true)).then((answer) => (order.push('answered'), answer));
    await settle();
    // The recv transport does not exist yet: the request waits rather than failing.
    expect(order).toEqual([]);

    const recv = await transports.create('recv');
    const consume = recv.consume.bind(recv);
    jest.spyOn(recv, 'consume').mockImplementation(async (options) => {
      const consumer = await consume(options);
      order.push('consumed');
      return consumer;
    });
    subscriber.attach(recv);

    expect(await answered).toMatchObject({ ok: true });
    expect(order).toEqual(['consumed', 'answered']);
    expect(store.consumers.value).toMatchObject([{ peerId: 'bob', source: 'webcam', producerPaused: true, paused: false }]);
    expect(store.consumers.value[0].track.readyState).toBe('live');
  });

  it('answers with an error when there is no recv transport, so the server never resumes that consumer', async () => {
    subscriber.detach(new InvalidStateError('the token does not allow subscribing'));
    const answer = await server.request('newConsumer', newConsumer('bob', 'mic'));
    expect(answer).toMatchObject({ ok: false, error: { code: 'internal', reason: expect.stringContaining('does not allow subscribing') } });
    expect(store.consumers.value).toEqual([]);
  });

  it('follows consumerPaused, consumerResumed and consumerClosed; pauses and resumes a consumer on request', async () => {
    subscriber.attach(await transports.create('recv'));
    const params = newConsumer('bob', 'webcam');
    await server.request('newConsumer', params);

    server.notify('consumerPaused', { consumerId: params.id });
    await until(() => store.consumers.value[0].producerPaused);
    server.notify('consumerResumed', { consumerId: params.id });
    await until(() => !store.consumers.value[0].producerPaused);

    await subscriber.pause(params.id);
    expect(store.consumers.value[0].paused).toBe(true);
    await subscriber.resume(params.id);
    expect(server.requests('pauseConsumer')).toEqual([{ consumerId: params.id }]);
    expect(server.requests('resumeConsumer')).toEqual([{ consumerId: params.id }]);

    const { track } = store.consumers.value[0];
    server.notify('consumerClosed', { consumerId: params.id });
    await until(() => store.consumers.value.length === 0);
    expect(track.readyState).toBe('ended');
    await expect(subscriber.pause(params.id)).rejects.toBeInstanceOf(InvalidStateError);
  });
});
