import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  CLOSE_CODES,
  isModeratorRole,
  PROTOCOL_VERSION,
  SignalingError,
  type AuthenticateParams,
  type AuthenticateResult,
  type ChangeDisplayNameParams,
  type Empty,
  type GetRouterRtpCapabilitiesParams,
  type GetRouterRtpCapabilitiesResult,
  type JoinParams,
  type JoinResult,
} from '@confer/signaling-contracts';
import { AuthService } from '../auth/auth.service';
import { SERVER_VERSION } from '../app/version';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { iceServersFor } from '../config/ice-servers';
import { RoomHomeService } from '../cluster/room-home.service';
import { EventsService } from '../events/events.service';
import { FilesService } from '../files/files.service';
import { ShutdownState } from '../lifecycle/shutdown-state';
import { checkedRtpCapabilities } from '../media/client-values';
import { SubscriptionsService } from '../media/subscriptions.service';
import { Peer, type PeerChannel } from '../peers/peer';
import { PeerLink } from '../peers/peer-link';
import { RoomAccessService } from '../room-access/room-access.service';
import { RoomSettingsService } from '../room-settings/room-settings.service';
import { RoomsService } from '../rooms/rooms.service';
import { WorkerPoolService } from '../workers/worker-pool.service';

/** Close codes of a client that meant to go; its peer is not kept for a resume. */
const INTENTIONAL_CLOSE_CODES = new Set([1000, 1001, 1005]);

/**
 * Sessions: one Peer per authenticated connection, keyed by identity (the same
 * identity authenticating again replaces, and closes, the older connection),
 * kept across socket drops for a resume. Entering and leaving rooms happens
 * here; the media layer only reads which room a peer is in.
 */
@Injectable()
export class SessionsService implements OnModuleDestroy {
  private readonly logger = new Logger(SessionsService.name);
  private readonly peers = new Map<string, Peer>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly rooms: RoomsService,
    private readonly subscriptions: SubscriptionsService,
    private readonly pool: WorkerPoolService,
    private readonly files: FilesService,
    private readonly shutdown: ShutdownState,
    private readonly events: EventsService,
    private readonly access: RoomAccessService,
    private readonly settings: RoomSettingsService,
    private readonly home: RoomHomeService,
  ) {}

  onModuleDestroy(): void {
    for (const peer of this.peers.values()) if (peer.resumeTimer) clearTimeout(peer.resumeTimer);
  }

  get(peerId: string): Peer | undefined {
    return this.peers.get(peerId);
  }

  all(): Peer[] {
    return [...this.peers.values()];
  }

  async authenticate(channel: PeerChannel, params: AuthenticateParams): Promise<{ peer: Peer; result: AuthenticateResult }> {
    if (params.protocolVersion !== PROTOCOL_VERSION) {
      throw new SignalingError(
        'unsupported_version',
        `this server speaks protocol version ${PROTOCOL_VERSION}, the client ${params.protocolVersion}; reload the app`,
        { serverVersion: PROTOCOL_VERSION },
      );
    }
    const identity = await this.auth.verify(params.token);
    const id = peerIdOf(identity.subject);
    const previous = this.peers.get(id);
    let peer: Peer;
    let resumed = false;
    if (previous && params.resumeSessionId && params.resumeSessionId === previous.sessionId && !previous.closed) {
      // Same session back within the grace period: keep its room and media, deliver what it missed.
      peer = previous;
      resumed = true;
      if (peer.resumeTimer) clearTimeout(peer.resumeTimer);
      peer.resumeTimer = null;
      peer.identity = identity;
      const old = peer.channel.connection;
      peer.channel.attach(channel);
      old?.close(CLOSE_CODES.replaced, 'the session was resumed on a newer connection');
      this.logger.log({ peer: id, room: peer.roomId ?? undefined, resumed: true }, `authenticate() | resumed | peer=${id} room=${peer.roomId ?? '-'}`);
      // Reconcile: a newConsumer lost with the old socket (its consumer closed) is offered again.
      setImmediate(() => void this.subscriptions.consumeAll(peer));
    } else {
      this.shutdown.assertAccepting('new sessions');
      if (previous) {
        this.logger.log({ peer: id }, `authenticate() | replacing older connection | peer=${id}`);
        this.disconnected(previous);
        previous.channel.close(CLOSE_CODES.replaced, 'replaced by a newer connection of the same identity');
      }
      const link: PeerLink = new PeerLink(channel, () => this.disconnected(fresh));
      const fresh: Peer = new Peer(id, identity, randomUUID(), link);
      peer = fresh;
      this.peers.set(id, peer);
      this.logger.log({ peer: id }, `authenticate() | peer=${id} name=${JSON.stringify(identity.displayName)}`);
    }
    return {
      peer,
      result: {
        peerId: id,
        sessionId: peer.sessionId,
        resumed,
        displayName: peer.displayName,
        grants: identity.grants,
        rooms: identity.rooms,
        protocolVersion: PROTOCOL_VERSION,
        serverVersion: SERVER_VERSION,
        limits: this.config.limits,
        iceServers: iceServersFor(this.config.media, id),
        mediaAvailable: this.pool.available,
        ...(this.pool.unavailable !== null ? { mediaUnavailableReason: this.pool.unavailable } : {}),
        ...(this.config.cluster.redisUrl ? { nodeUrl: this.config.cluster.publicUrl } : {}),
      },
    };
  }

  /** The answer without `recording`, which the signaling route adds (recording sits above sessions). */
  async join(peer: Peer, params: JoinParams): Promise<Omit<JoinResult, 'recording'>> {
    this.shutdown.assertAccepting('join');
    if (peer.joined) throw new SignalingError('invalid_state', `already joined room "${peer.roomId}"`);
    // mediasoup's checks, on a copy (the client's mistakes answered invalid_request).
    const rtpCapabilities = params.rtpCapabilities && this.pool.available ? checkedRtpCapabilities(params.rtpCapabilities) : undefined;
    this.access.assertMayEnter(peer, params.roomId);
    // Cluster: a room owned by another node answers `redirect` (no-op on a single node).
    await this.home.assertHere(peer, params.roomId);
    const room = await this.rooms.enter(peer, params.roomId);
    if (peer.joined) throw new SignalingError('invalid_state', `already joined room "${peer.roomId}"`);
    peer.displayName = params.displayName;
    peer.device = params.device;
    peer.rtpCapabilities = rtpCapabilities;
    peer.sctpCapabilities = params.sctpCapabilities;
    if (this.access.mustWait(peer, room)) {
      // The lobby: in the room (it counts for capacity) but not joined: no media, no participants.
      this.access.wait(peer, room);
      this.logger.log({ peer: peer.id, room: room.id }, `join() | waiting in the lobby | peer=${peer.id} room=${room.id}`);
      return { peers: [], waiting: true, self: this.access.selfState(peer), settings: this.settings.get(room.id), lobby: [] };
    }
    peer.lobbySince = null;
    peer.admittedTo = null;
    if (peer.carried?.roomId === room.id) ({ role: peer.role, permissions: peer.permissions } = peer.carried);
    else peer.permissions = this.access.permissionsFor(peer, room.id);
    peer.carried = null;
    const others = room.joinedPeers(peer);
    peer.joined = true;
    room.broadcast('peerJoined', peer.info(), peer);
    this.events.emit({ type: 'participant.joined', roomId: room.id, peerId: peer.id, displayName: peer.displayName, subject: peer.identity.subject, role: peer.role });
    this.logger.log({ peer: peer.id, room: room.id }, `join() | peer=${peer.id} room=${room.id} role=${peer.role} others=${others.length}`);
    // After the response: the client expects `peers` before the first `newConsumer`.
    setImmediate(() => void this.subscriptions.consumeAll(peer));
    return {
      peers: others.map((p) => p.info()),
      waiting: false,
      self: this.access.selfState(peer),
      settings: this.settings.get(room.id),
      lobby: isModeratorRole(peer.role) ? this.access.lobbyEntries(room) : [],
    };
  }

  /** Enters the room (creating it on first entry) and answers its router's capabilities; join may follow. */
  async getRouterRtpCapabilities(peer: Peer, { roomId }: GetRouterRtpCapabilitiesParams): Promise<GetRouterRtpCapabilitiesResult> {
    this.pool.assertAvailable();
    this.access.assertMayEnter(peer, roomId);
    await this.home.assertHere(peer, roomId);
    const room = await this.rooms.enter(peer, roomId);
    if (!room.media) throw new SignalingError('media_unavailable', this.pool.unavailable ?? 'this room has no media');
    return { rtpCapabilities: room.media.rtpCapabilities };
  }

  leave(peer: Peer): Empty {
    if (!peer.roomId) throw new SignalingError('invalid_state', 'not in a room');
    this.exitRoom(peer, 'left');
    this.logger.log({ peer: peer.id }, `leave() | peer=${peer.id}`);
    return {};
  }

  /**
   * Takes the peer out of its room (its transfers cancelled, its media closed)
   * while its session goes on: leave, removal by a moderator, meeting ended,
   * lobby denied. A peer that was waiting leaves the moderators' lobby list.
   */
  exitRoom(peer: Peer, reason: string): void {
    const room = this.rooms.current(peer);
    const waited = peer.lobbySince !== null;
    this.files.peerGone(peer);
    this.rooms.exit(peer, reason);
    if (room && waited && !room.closed) this.access.lobbyChanged(room);
  }


  changeDisplayName(peer: Peer, { displayName }: ChangeDisplayNameParams): Empty {
    const room = this.rooms.roomOf(peer);
    const oldDisplayName = peer.displayName;
    peer.displayName = displayName;
    room.broadcast('peerDisplayNameChanged', { peerId: peer.id, displayName, oldDisplayName }, peer);
    return {};
  }

  /**
   * The socket of `connection` closed with `code`. A peer in a room whose socket
   * dropped (anything but a close the client chose: 1000 normal, 1001 going
   * away, 1005 closed without a code) is kept for
   * RESUME_GRACE_MS so that it can resume; otherwise it goes now.
   */
  connectionLost(peer: Peer, connection: PeerChannel, code: number): void {
    if (peer.closed || peer.channel.connection !== connection) return;
    const grace = this.config.auth.resumeGraceMs;
    if (grace > 0 && peer.roomId && !INTENTIONAL_CLOSE_CODES.has(code)) {
      peer.channel.detach();
      peer.resumeTimer = setTimeout(() => {
        try {
          this.disconnected(peer);
        } catch (error) {
          this.logger.error({ peer: peer.id }, `clean-up after the resume grace failed | error=${(error as Error).stack}`);
        }
      }, grace);
      peer.resumeTimer.unref();
      this.logger.log({ peer: peer.id, room: peer.roomId }, `connectionLost() | waiting ${grace} ms for a resume | peer=${peer.id} code=${code}`);
      return;
    }
    this.disconnected(peer);
  }

  /** The peer is gone for good (closed, replaced, or not resumed in time): everything of it goes. */
  disconnected(peer: Peer): void {
    if (peer.closed) return;
    peer.closed = true;
    if (peer.resumeTimer) clearTimeout(peer.resumeTimer);
    peer.resumeTimer = null;
    peer.channel.drop();
    this.exitRoom(peer, 'disconnected');
    if (this.peers.get(peer.id) === peer) this.peers.delete(peer.id);
    this.logger.log({ peer: peer.id }, `disconnected() | peer=${peer.id}`);
  }
}

/** Peer ids are the token subject when it is short and plain, else a stable hash of it. */
function peerIdOf(subject: string): string {
  return /^[A-Za-z0-9_.@-]{1,64}$/.test(subject) ? subject : `p-${createHash('sha256').update(subject).digest('hex').slice(0, 24)}`;
}
