import type { DeniedPermission, Expulsion, ModeratorAction } from '@confer/media';
import type { Permissions, Role } from '@confer/signaling-contracts';

/** Who did it, for a sentence: the moderator's name, or "a host" when the server API did it. */
function who(by: string | null): string {
  return by ?? 'a host';
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Why this peer is out of the meeting: "You were removed from the meeting: <reason>", … */
export function expulsionNotice({ kind, reason, by }: Expulsion): string {
  switch (kind) {
    case 'denied':
      return `You were not let in to the meeting: ${reason}`;
    case 'removed':
      return `You were removed from the meeting: ${reason}`;
    case 'ended':
      return `The meeting was ended by ${who(by)}.`;
  }
}

const GRANTED: Record<keyof Permissions, string> = {
  publishAudio: 'allowed you to unmute',
  publishVideo: 'allowed you to turn on your camera',
  publishScreen: 'allowed you to share your screen',
  chat: 'allowed you to chat',
  sendFiles: 'allowed you to send files',
};

const REVOKED: Record<keyof Permissions, string> = {
  publishAudio: 'muted you',
  publishVideo: 'stopped your camera',
  publishScreen: 'stopped your screen share',
  chat: 'turned off chat for you',
  sendFiles: 'turned off sending files for you',
};

const ROLE_NAMES: Record<Role, string> = { host: 'a host', moderator: 'a moderator', participant: 'a participant', viewer: 'a viewer' };

/**
 * A sentence for what a moderator did to this peer ("You were muted by Hana",
 * "Hana stopped your camera"), or null when there is nothing to say. A mute and the
 * permission it takes away give the same sentence, so the notice shows once.
 */
export function moderatorActionNotice(action: ModeratorAction): string | null {
  if (action.type !== 'permissionsChanged') {
    if (action.source === 'mic') return `You were muted by ${who(action.by)}.`;
    if (action.source === 'webcam') return `${capitalized(who(action.by))} stopped your camera.`;
    if (action.source === 'screen') return `${capitalized(who(action.by))} stopped your screen share.`;
    return null;
  }
  const sentences: string[] = [];
  if (action.previousRole && action.role !== action.previousRole) sentences.push(`${capitalized(who(action.by))} made you ${ROLE_NAMES[action.role]}.`);
  for (const name of action.revoked) sentences.push(name === 'publishAudio' ? `You were muted by ${who(action.by)}.` : `${capitalized(who(action.by))} ${REVOKED[name]}.`);
  for (const name of action.granted) sentences.push(`${capitalized(who(action.by))} ${GRANTED[name]}.`);
  return sentences.length ? sentences.join(' ') : null;
}

/** Why an action is not allowed now, for a refusal notice or a disabled button's tooltip. */
export function permissionDeniedText(permission: DeniedPermission): string {
  switch (permission) {
    case 'publishAudio':
      return 'A moderator muted you. You can unmute once they allow it.';
    case 'publishVideo':
      return 'A moderator turned off your camera. You can start it once they allow it.';
    case 'publishScreen':
      return 'You may not share your screen right now.';
    case 'chat':
      return 'Chat is turned off for you.';
    case 'sendFiles':
      return 'Sending files is turned off for you.';
    case 'moderate':
      return 'Only hosts and moderators can do that.';
  }
}
