import type { Peer } from '../peers/peer';
import type { AuditActor } from '../history/audit-log.service';
import type { ModerationActor } from '../policies/event-sink';

/** Who performs a moderation act: a peer (it must be a moderator in the room) or the server API (a key). */
export type Actor = { kind: 'participant'; peer: Peer } | { kind: 'api'; key: string };

/** As events name the actor. */
export function eventActor(actor: Actor): ModerationActor {
  return actor.kind === 'api' ? { kind: 'api', id: actor.key, name: actor.key } : { kind: 'participant', id: actor.peer.id, name: actor.peer.displayName };
}

/** As the audit trail names the actor (participants by their token subject). */
export function auditActor(actor: Actor): AuditActor {
  return actor.kind === 'api' ? { kind: 'api', id: actor.key } : { kind: 'participant', id: actor.peer.identity.subject };
}

/** As notifications name the actor: a moderator's display name, null for the server API. */
export function shownActor(actor: Actor): string | null {
  return actor.kind === 'api' ? null : actor.peer.displayName;
}
