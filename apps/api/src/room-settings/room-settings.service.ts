import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { SignalingError, type Permissions, type RoomSettings } from '@confer/signaling-contracts';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { DATABASE, type DatabaseConnection } from '../database/database';
import { rooms } from '../database/schema';
import { definedOnly } from '../validation/defined-only';

/** A change to a room's settings: any subset, `participantPermissions` merged field by field. */
export type RoomSettingsPatch = Partial<Omit<RoomSettings, 'participantPermissions'>> & { participantPermissions?: Partial<Permissions> };

/** A room created through the server API. */
export interface ConfiguredRoom {
  roomId: string;
  settings: RoomSettings;
  createdAt: string;
  createdBy: string;
}

/**
 * Each room's settings (lobby, lock, capacity, what participants may do).
 * Rooms created through the server API keep theirs in the database; any other
 * room starts from the defaults (ROOM_DEFAULT_LOBBY, MAX_PEERS_PER_ROOM,
 * everything allowed) and a moderator's changes last until it closes.
 */
@Injectable()
export class RoomSettingsService implements OnModuleInit {
  private readonly logger = new Logger(RoomSettingsService.name);
  private readonly configured = new Map<string, ConfiguredRoom>();
  /** Settings changed by moderators in rooms that were not created through the API. */
  private readonly adHoc = new Map<string, RoomSettings>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE) private readonly database: DatabaseConnection,
  ) {}

  async onModuleInit(): Promise<void> {
    for (const row of await this.database.db.select().from(rooms)) {
      this.configured.set(row.id, { roomId: row.id, settings: this.complete(row.settings as RoomSettingsPatch), createdAt: row.createdAt.toISOString(), createdBy: row.createdBy });
    }
    if (this.configured.size) this.logger.log(`room settings loaded | rooms=${this.configured.size}`);
  }

  defaults(): RoomSettings {
    return {
      lobby: this.config.portal.defaultLobby,
      locked: false,
      capacity: this.config.limits.maxPeersPerRoom,
      participantPermissions: { publishAudio: true, publishVideo: true, publishScreen: true, chat: true, sendFiles: true },
      recording: 'allowed',
      recordingConsent: false,
    };
  }

  get(roomId: string): RoomSettings {
    return this.configured.get(roomId)?.settings ?? this.adHoc.get(roomId) ?? this.defaults();
  }

  configuredRoom(roomId: string): ConfiguredRoom | undefined {
    return this.configured.get(roomId);
  }

  configuredRooms(): ConfiguredRoom[] {
    return [...this.configured.values()];
  }

  /** Creates a room through the server API; `conflict` if it was already created. */
  async create(roomId: string, patch: RoomSettingsPatch, createdBy: string): Promise<ConfiguredRoom> {
    if (this.configured.has(roomId)) throw new SignalingError('conflict', `room ${roomId} already exists`);
    const settings = this.complete(patch, this.adHoc.get(roomId));
    const [row] = await this.database.db.insert(rooms).values({ id: roomId, settings, createdBy }).onConflictDoNothing().returning();
    if (!row) throw new SignalingError('conflict', `room ${roomId} already exists`);
    const created = { roomId, settings, createdAt: row.createdAt.toISOString(), createdBy };
    this.configured.set(roomId, created);
    this.adHoc.delete(roomId);
    return created;
  }

  /** Applies a change; persisted for API-created rooms, kept while the room is open otherwise. */
  async update(roomId: string, patch: RoomSettingsPatch): Promise<RoomSettings> {
    const configured = this.configured.get(roomId);
    const settings = this.complete(patch, configured?.settings ?? this.get(roomId));
    if (configured) {
      await this.database.db.update(rooms).set({ settings }).where(eq(rooms.id, roomId));
      configured.settings = settings;
    } else {
      this.adHoc.set(roomId, settings);
    }
    return settings;
  }

  /** Forgets an API-created room (its meeting, if any, is ended by the caller). */
  async remove(roomId: string): Promise<boolean> {
    this.adHoc.delete(roomId);
    if (!this.configured.delete(roomId)) return false;
    await this.database.db.delete(rooms).where(eq(rooms.id, roomId));
    return true;
  }

  /** A room that was not created through the API closed: its moderators' changes end with it. */
  closed(roomId: string): void {
    this.adHoc.delete(roomId);
  }

  private complete(patch: RoomSettingsPatch, base: RoomSettings = this.defaults()): RoomSettings {
    const capacity = Math.min(patch.capacity ?? base.capacity, this.config.limits.maxPeersPerRoom);
    return {
      lobby: patch.lobby ?? base.lobby,
      locked: patch.locked ?? base.locked,
      capacity,
      participantPermissions: { ...base.participantPermissions, ...definedOnly(patch.participantPermissions ?? {}) },
      // Rooms stored before the recording policy existed get the defaults.
      recording: patch.recording ?? base.recording ?? 'allowed',
      recordingConsent: patch.recordingConsent ?? base.recordingConsent ?? false,
    };
  }
}
