import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { SignalingError, type AcknowledgeRecordingResult, type RecordingNotice } from '@confer/signaling-contracts';
import { EventsService } from '../events/events.service';
import type { Peer } from '../peers/peer';
import type { ConferEvent } from '../policies/event-sink';
import { RoomSettingsService } from '../room-settings/room-settings.service';
import { RoomsService } from '../rooms/rooms.service';
import type { RecordingActor, RecordingInfo } from './recording-types';
import { RecordingService } from './recording.service';

/** Who starts a recording that the room's policy (`recording: 'required'`) asks for. */
export const POLICY_ACTOR: RecordingActor = { kind: 'system', id: 'policy', name: 'room policy' };

/**
 * The room's side of recording: its policy (`recording` allowed / required /
 * forbidden, `recordingConsent`), what the peers are told
 * (`recordingStateChanged`, `JoinResult.recording`) and who consented. Who may
 * start or stop is checked (and audited) by the moderation service, which calls
 * {@link start} and {@link stop}; the recording itself is RecordingService's.
 */
@Injectable()
export class RecordingControlService implements OnModuleInit {
  private readonly logger = new Logger(RecordingControlService.name);
  /** Peers that acknowledged the recording, by room (kept while they are in it). */
  private readonly consents = new Map<string, Set<string>>();
  /** Whether each recording taps only consenting peers (the room's setting when it started). */
  private readonly consentRequired = new Map<string, boolean>();
  /** Rooms whose policy start is under way (one per room however many tracks are published meanwhile). */
  private readonly autoStarting = new Set<string>();

  constructor(
    private readonly recordings: RecordingService,
    private readonly rooms: RoomsService,
    private readonly settings: RoomSettingsService,
    private readonly events: EventsService,
  ) {}

  onModuleInit(): void {
    this.events.attach({ emit: (event) => this.onEvent(event) });
  }

  /** The room's recording in progress as peers see it, or null. */
  notice(roomId: string): RecordingNotice | null {
    const info = this.recordings.status(roomId).recording;
    return info && (info.state === 'starting' || info.state === 'recording' || info.state === 'stopping') ? this.toNotice(info) : null;
  }

  /**
   * Starts recording `roomId` and tells everyone in it. `forbidden` when the
   * room's policy is `forbidden`; otherwise RecordingService's errors
   * (`media_unavailable` with the reason, `not_found`, `invalid_state`).
   */
  async start(roomId: string, by: RecordingActor): Promise<RecordingNotice> {
    const settings = this.settings.get(roomId);
    if (settings.recording === 'forbidden') throw new SignalingError('forbidden', `recording room ${roomId} is forbidden by its policy`);
    const consent = settings.recordingConsent;
    const info = await this.recordings.start(roomId, by, consent ? (peerId) => this.consents.get(roomId)?.has(peerId) === true : undefined);
    this.consentRequired.set(info.recordingId, consent);
    const notice = this.toNotice(info);
    this.rooms.get(roomId)?.broadcast('recordingStateChanged', notice);
    return notice;
  }

  /**
   * Stops the room's recording; everyone is told at once (`stopping`), and
   * again when it is stored or failed. A participant may not stop a recording
   * the room's policy requires (`forbidden`); the server API may.
   */
  async stop(roomId: string, by: RecordingActor): Promise<RecordingNotice> {
    if (by.kind === 'participant' && this.settings.get(roomId).recording === 'required') {
      throw new SignalingError('forbidden', `room ${roomId} must be recorded (its policy): only the server API may stop it`);
    }
    const current = this.notice(roomId);
    if (!current || current.state === 'stopping') throw new SignalingError('invalid_state', `room ${roomId} is not being recorded${current ? ' (its recording is stopping)' : ''}`);
    // The mix takes a while: its outcome is told by the recording.stopped / recording.failed events.
    void this.recordings.stop(roomId).catch((e: Error) => this.logger.warn(`stop() | room=${roomId} | ${e.message}`));
    const notice: RecordingNotice = { ...current, state: 'stopping' };
    this.rooms.get(roomId)?.broadcast('recordingStateChanged', notice);
    return notice;
  }

  /**
   * The room's settings changed: `forbidden` stops a recording in progress
   * (stored as it is); `required` starts one if the meeting already has tracks.
   */
  policyChanged(roomId: string): void {
    const policy = this.settings.get(roomId).recording;
    if (policy === 'forbidden' && this.notice(roomId)?.state === 'recording') {
      void this.stop(roomId, POLICY_ACTOR).catch((e: Error) => this.logger.warn(`policyChanged() | room=${roomId} | ${e.message}`));
    } else if (policy === 'required' && this.rooms.get(roomId)?.joinedPeers().some((p) => p.producers.size > 0)) {
      this.autoStart(roomId);
    }
  }

  /** A joined peer consents to being recorded: with consent required, its tracks are recorded from now on. */
  async acknowledge(peer: Peer): Promise<AcknowledgeRecordingResult> {
    const roomId = peer.roomId;
    if (!roomId || !peer.joined) throw new SignalingError('invalid_state', 'join a room first');
    let consents = this.consents.get(roomId);
    if (!consents) this.consents.set(roomId, (consents = new Set()));
    consents.add(peer.id);
    const notice = this.notice(roomId);
    if (!notice) return { recorded: false };
    if (notice.consentRequired) await this.recordings.admitPeer(roomId, peer.id);
    this.logger.log(`acknowledge() | room=${roomId} peer=${peer.id} recording=${notice.recordingId}`);
    return { recorded: notice.state === 'starting' || notice.state === 'recording' };
  }

  private toNotice(info: RecordingInfo): RecordingNotice {
    const state = info.state === 'idle' ? 'failed' : info.state;
    return {
      state,
      recordingId: info.recordingId,
      startedBy: info.startedBy?.kind === 'participant' ? info.startedBy.name : null,
      startedAt: Date.parse(info.startedAt),
      consentRequired: this.consentRequired.get(info.recordingId) ?? false,
      ...(info.reason ? { reason: info.reason } : {}),
    };
  }

  /** The policy start, the end of a recording told to the room, consents forgotten as peers leave. */
  private onEvent(event: ConferEvent): void {
    switch (event.type) {
      case 'track.published':
        if (this.settings.get(event.roomId).recording === 'required') this.autoStart(event.roomId);
        break;
      case 'recording.stopped':
      case 'recording.failed': {
        const info = this.recordings.list(event.roomId).find((r) => r.recordingId === event.recordingId);
        if (info) this.rooms.get(event.roomId)?.broadcast('recordingStateChanged', this.toNotice(info));
        this.consentRequired.delete(event.recordingId);
        break;
      }
      case 'participant.left':
        this.consents.get(event.roomId)?.delete(event.peerId);
        break;
      case 'room.finished':
        this.consents.delete(event.roomId);
        break;
    }
  }

  private autoStart(roomId: string): void {
    if (this.autoStarting.has(roomId) || this.notice(roomId)) return;
    this.autoStarting.add(roomId);
    void this.start(roomId, POLICY_ACTOR)
      .catch((e: Error) => this.logger.warn(`autoStart() | room=${roomId} | ${e.message}`))
      .finally(() => this.autoStarting.delete(roomId));
  }
}
