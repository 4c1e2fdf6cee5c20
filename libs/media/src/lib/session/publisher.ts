import { SignalingError, permissionForSource, type Permissions, type ProducerSource } from '@confer/signaling-contracts';
import type { Producer } from 'mediasoup-client/types';
import { Subscription } from 'rxjs';
import { ConnectionError, InvalidStateError, MediaPermissionError, RequestTimeoutError } from '../errors';
import type { MediaDevicesLike } from '../tokens';
import { fromEmitter } from '../util/from-emitter';
import { Logger } from '../util/logger';
import type { LocalProducer } from './media-session.types';
import { CAMERA_RAMP_MS, SCREEN_CONSTRAINTS, cameraConstraints, micConstraints, produceOptions } from './publish-policy';
import type { SessionContext } from './session-context';
import type { PublishAppData, TransportManager } from './transport-manager';

/** How {@link Publisher.produce} creates a producer. */
interface ProduceOptions {
  /** `deviceId` of the capture device, when known. */
  deviceId?: string;
  /** Create it paused (a muted microphone restored after a rebuild). */
  paused?: boolean;
}

/**
 * This peer's local media: captures the microphone, camera and screen, produces
 * them on the send transport with the encoding policy of {@link produceOptions},
 * and mutes, switches and closes them. Producers do not own their tracks
 * (`stopTracks: false`): a rebuild produces the same tracks again without asking
 * for the devices; deliberate closes stop them.
 */
export class Publisher {
  private readonly logger = new Logger('Publisher');
  private readonly producers = new Map<ProducerSource, Producer>();
  /** Listeners on the current producers, dropped with them. */
  private listeners = new Subscription();

  constructor(
    private readonly context: SessionContext,
    private readonly transports: TransportManager,
    private readonly mediaDevices: MediaDevicesLike,
  ) {}

  /** Subscribes to the server's reports about this peer's producers, for the whole session. */
  listen(): Subscription {
    return this.context.signaling.on('producerScore').subscribe(({ producerId, score }) => this.context.store.patchProducer(producerId, { score }));
  }

  /** Starts the microphone (or the given device). No-op when already on. */
  async enableMic(deviceId?: string): Promise<void> {
    this.assertCanProduce('enableMic()', 'mic');
    if (this.producers.has('mic')) return;
    const track = await this.capture('microphone', micConstraints(deviceId));
    await this.produce('mic', track, { deviceId });
  }

  /** Starts the camera (or the given device). No-op when already on. */
  async enableCamera(deviceId?: string): Promise<void> {
    this.assertCanProduce('enableCamera()', 'webcam');
    if (this.producers.has('webcam')) return;
    const track = await this.capture('camera', cameraConstraints(deviceId));
    await this.produce('webcam', track, { deviceId });
  }

  /** Shares a screen, plus its audio when the browser offers it. No-op when already sharing. */
  async enableScreenShare(): Promise<void> {
    this.assertCanProduce('enableScreenShare()', 'screen');
    if (this.producers.has('screen')) return;
    let stream: MediaStream;
    try {
      stream = await this.mediaDevices.getDisplayMedia(SCREEN_CONSTRAINTS);
    } catch (error) {
      throw MediaPermissionError.from(error, 'screen');
    }
    const [video] = stream.getVideoTracks();
    const [audio] = stream.getAudioTracks();
    if (!video) throw new MediaPermissionError('not_found', 'screen', 'No screen was shared.');
    await this.produce('screen', video);
    if (audio) await this.produce('screen-audio', audio);
  }

  /** Closes the producer of `source` and stops its track. No-op when it is off. */
  async disable(source: ProducerSource): Promise<void> {
    this.context.store.assertInRoom(`disable(${source})`);
    const producer = this.producers.get(source);
    if (!producer) return;
    this.forget(source, producer);
    const track = producer.track;
    producer.close();
    track?.stop();
    try {
      await this.context.request('closeProducer', { producerId: producer.id });
    } catch (error) {
      this.logger.debug(`closeProducer failed (ignored) | ${(error as Error).message}`);
    }
  }

  /** Pauses the producer locally (no RTP) and on the server. No-op when paused already. */
  async pause(source: ProducerSource): Promise<void> {
    const producer = this.existing(source, 'pauseProducer()');
    if (producer.paused) return;
    producer.pause();
    this.context.store.patchProducer(producer.id, { paused: true });
    await this.context.request('pauseProducer', { producerId: producer.id });
  }

  /** Resumes a paused producer locally and on the server. No-op when it is not paused. */
  async resume(source: ProducerSource): Promise<void> {
    const producer = this.existing(source, 'resumeProducer()');
    if (!producer.paused) return;
    this.context.store.assertMayPublish(source, 'resumeProducer()');
    producer.resume();
    this.context.store.patchProducer(producer.id, { paused: false });
    await this.context.request('resumeProducer', { producerId: producer.id });
  }

  /** Replaces the track of the mic or webcam producer without renegotiating; enables it when off. */
  async switchDevice(source: 'mic' | 'webcam', deviceId: string): Promise<void> {
    this.context.store.assertInRoom(`switch(${source})`);
    const producer = this.producers.get(source);
    if (!producer) return source === 'mic' ? this.enableMic(deviceId) : this.enableCamera(deviceId);
    const track =
      source === 'mic' ? await this.capture('microphone', micConstraints(deviceId)) : await this.capture('camera', cameraConstraints(deviceId, true));
    const old = producer.track;
    await producer.replaceTrack({ track });
    old?.stop(); // producers keep their tracks (stopTracks: false), so the old one is ours to stop
    this.context.store.patchProducer(producer.id, { track, deviceId });
  }

  /**
   * Produces a producer of the previous media generation again: with the same
   * track when it is still live (muted ones created paused), else captured again
   * (mic/camera; a screen needs a new user gesture). A device that is gone or
   * refused now is reported in `error` and the session stays without it.
   */
  async restore(p: LocalProducer): Promise<void> {
    if (this.producers.has(p.source)) return;
    if (this.context.store.permissions.value?.[permissionForSource(p.source)] === false) {
      // Hard-muted meanwhile: the server would refuse it; the user turns it on again once allowed.
      p.track.stop();
      return;
    }
    try {
      if (p.track.readyState === 'live') {
        await this.produce(p.source, p.track, { deviceId: p.deviceId, paused: p.paused });
        return;
      }
      if (p.source === 'mic') await this.enableMic(p.deviceId);
      else if (p.source === 'webcam') await this.enableCamera(p.deviceId);
      else return;
      if (p.paused) await this.pause(p.source);
    } catch (error) {
      // Connection trouble is the rebuild's to handle (it retries after the reconnection).
      const connection = error instanceof SignalingError || error instanceof ConnectionError || error instanceof RequestTimeoutError;
      if (connection || !(error instanceof Error)) throw error;
      this.logger.warn(`could not restore ${p.source}`, error);
      this.context.store.error.set(error);
    }
  }

  /**
   * A moderator paused (`mic`, `webcam`) or closed (`screen`) one of this peer's
   * producers on the server: does the same here, without asking the server. Returns
   * the producer's source, or null when it is not (or no longer) ours.
   */
  moderated(producerId: string, closed: boolean): ProducerSource | null {
    const entry = [...this.producers].find(([, producer]) => producer.id === producerId);
    if (!entry) return null;
    const [source, producer] = entry;
    if (closed) {
      this.forget(source, producer);
      producer.close();
      producer.track?.stop();
      // The screen's audio goes with it (the server closes it too; a second close is harmless).
      if (source === 'screen') void this.disable('screen-audio').catch(() => undefined);
    } else if (!producer.paused) {
      producer.pause();
      this.context.store.patchProducer(producer.id, { paused: true });
    }
    return source;
  }

  /**
   * Applies permissions taken away: a live microphone or camera is paused here (the
   * server paused it), a screen share closed. Nothing is resumed when they come back.
   */
  enforce(permissions: Permissions): void {
    for (const [source, producer] of [...this.producers]) {
      if (permissions[permissionForSource(source)]) continue;
      if (source === 'mic' || source === 'webcam') this.moderated(producer.id, false);
      else void this.disable(source).catch(() => undefined);
    }
  }

  /** Closes every producer; their tracks keep running for a rebuild unless `stopTracks`. */
  close(stopTracks: boolean): void {
    this.listeners.unsubscribe();
    this.listeners = new Subscription();
    if (stopTracks) for (const p of this.context.store.producers.value) p.track.stop();
    for (const producer of this.producers.values()) producer.close();
    this.producers.clear();
  }

  /**
   * Produces `track` as `source`. `paused` goes with the `produce` call's appData,
   * which the transport manager turns into the request's `paused` field.
   */
  private async produce(source: ProducerSource, track: MediaStreamTrack, { deviceId, paused = false }: ProduceOptions = {}): Promise<void> {
    const transport = this.transports.send;
    const device = this.transports.device;
    if (!transport || !device) {
      // The session left or lost its media while the device was being captured.
      track.stop();
      this.assertCanProduce('produce()', source);
      throw new InvalidStateError('Cannot send media: the send transport is gone.');
    }
    const appData: PublishAppData = { source, ...(paused ? { paused } : {}) };
    const options = produceOptions(source, device);
    // Simulcast camera: the upper layers start inactive and are turned on after CAMERA_RAMP_MS.
    const ramp = source === 'webcam' && (options.encodings?.length ?? 0) > 1 ? (options.encodings?.length ?? 1) - 1 : 0;
    if (ramp) options.encodings = options.encodings?.map((e, i) => (i === 0 ? e : { ...e, active: false }));
    const producer = await transport.produce({ track, ...options, stopTracks: false, appData });
    // The server created it paused already; this only stops the RTP here.
    if (paused) producer.pause();
    this.producers.set(source, producer);
    this.logger.debug(`produce() | source=${source} kind=${producer.kind} id=${producer.id} paused=${paused}`);
    const sub = new Subscription();
    this.listeners.add(sub);
    sub.add(fromEmitter(producer, 'trackended').subscribe(() => void this.disable(source).catch(() => undefined)));
    sub.add(fromEmitter(producer, 'transportclose').subscribe(() => this.forget(source, producer)));
    producer.observer.once('close', () => sub.unsubscribe());
    if (ramp) {
      const timer = setTimeout(() => {
        if (!producer.closed) producer.setMaxSpatialLayer(ramp).catch((error: unknown) => this.logger.warn('camera ramp failed', error));
      }, CAMERA_RAMP_MS);
      sub.add(() => clearTimeout(timer));
    }
    this.context.store.producers.update((list) => [
      ...list,
      { id: producer.id, source, kind: producer.kind, track, paused: producer.paused, deviceId, score: [] },
    ]);
  }

  private forget(source: ProducerSource, producer: Producer): void {
    if (this.producers.get(source) === producer) this.producers.delete(source);
    this.context.store.producers.update((list) => list.filter((p) => p.id !== producer.id));
  }

  private existing(source: ProducerSource, what: string): Producer {
    this.context.store.assertInRoom(what);
    const producer = this.producers.get(source);
    if (!producer) throw new InvalidStateError(`${what}: ${source} is not on`);
    return producer;
  }

  private assertCanProduce(what: string, source: ProducerSource): void {
    this.context.store.assertInRoom(what);
    if (!this.context.store.mediaAvailable.value) throw new InvalidStateError('Media is unavailable on this server.');
    this.context.store.assertMayPublish(source, what);
    if (!this.transports.send) throw new InvalidStateError('Cannot send media: not joined or not allowed to publish.');
  }

  private async capture(device: 'camera' | 'microphone', constraints: MediaStreamConstraints): Promise<MediaStreamTrack> {
    let stream: MediaStream;
    try {
      stream = await this.mediaDevices.getUserMedia(constraints);
    } catch (error) {
      throw MediaPermissionError.from(error, device);
    }
    const track = device === 'camera' ? stream.getVideoTracks()[0] : stream.getAudioTracks()[0];
    if (!track) throw new MediaPermissionError('not_found', device, `No ${device} was found.`);
    return track;
  }
}
