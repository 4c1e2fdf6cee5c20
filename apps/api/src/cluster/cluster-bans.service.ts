import { Injectable, Logger } from '@nestjs/common';
import { ClusterRedisService, KEY_PREFIX } from './cluster-redis.service';

const banKey = (roomId: string, subject: string): string => `${KEY_PREFIX}ban:${roomId}:${subject}`;

/**
 * Removal bans shared by the nodes (cluster mode): a moderator's removal is
 * kept in Redis for REMOVAL_BAN_S too, so that it still holds when the room
 * is re-created on another node (its node died or drained). The room's own
 * node checks its in-memory bans first (RoomAccessService); this is read when
 * a room is placed or entered on a node that did not see the removal.
 */
@Injectable()
export class ClusterBansService {
  private readonly logger = new Logger(ClusterBansService.name);

  constructor(private readonly redis: ClusterRedisService) {}

  /** Best effort: Redis away means the ban holds on the room's node only. */
  record(roomId: string, subject: string, ms: number): void {
    if (!this.redis.enabled || !this.redis.up || ms <= 0) return;
    this.redis.client.set(banKey(roomId, subject), '1', 'PX', ms).catch((e: Error) => this.logger.warn(`ban not shared | room=${roomId} | ${e.message}`));
  }

  /** Milliseconds the identity is still kept out of the room, 0 when not banned (or Redis is away). */
  async remainingMs(roomId: string, subject: string): Promise<number> {
    if (!this.redis.enabled || !this.redis.up) return 0;
    const ms = await this.redis.client.pttl(banKey(roomId, subject)).catch(() => -2);
    return ms > 0 ? ms : 0;
  }
}
