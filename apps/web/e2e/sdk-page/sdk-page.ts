/**
 * A page script for the SDK scenarios (sdk-scenarios.ts): @confer/media without
 * the web app, as a portal team embeds it — an Angular application injector
 * (zoneless) and a MediaSession from it. Bundled by esbuild when the scenarios
 * start; JIT-compiles the SDK's injectables (`@angular/compiler`), as its unit
 * tests do. Drives the session through `window.conferSdk`.
 */
import '@angular/compiler';
import { provideZonelessChangeDetection } from '@angular/core';
import { createApplication } from '@angular/platform-browser';
import { MediaSession, type DataMessage, type LocalDataChannel } from '@confer/media';

interface Received {
  peerId: string;
  label: string;
  text: string | null;
  bytes: number;
}

let session: MediaSession | null = null;
const channels = new Map<string, LocalDataChannel>();
const received: Received[] = [];

async function join(token: string, roomId: string, displayName: string): Promise<string> {
  const app = await createApplication({ providers: [provideZonelessChangeDetection()] });
  session = app.injector.get(MediaSession);
  session.dataMessages$.subscribe((m: DataMessage) =>
    received.push({
      peerId: m.peerId,
      label: m.label,
      text: typeof m.data === 'string' ? m.data : null,
      bytes: typeof m.data === 'string' ? m.data.length : m.data.byteLength,
    }),
  );
  await session.join({ token, roomId, displayName });
  return session.peerId() ?? '';
}

function current(): MediaSession {
  if (!session) throw new Error('not joined');
  return session;
}

const api = {
  join,
  async open(label: string, options?: { ordered?: boolean; maxRetransmits?: number; protocol?: string }): Promise<{ id: string; readyState: string; protocol: string }> {
    const channel = await current().openDataChannel(label, options);
    channels.set(label, channel);
    return { id: channel.id, readyState: channel.readyState, protocol: channel.protocol };
  },
  send(label: string, data: string | number): void {
    const channel = channels.get(label);
    if (!channel) throw new Error(`no channel ${label}`);
    // A number sends that many bytes (binary), a string as text.
    channel.send(typeof data === 'number' ? new Uint8Array(data).fill(7) : data);
  },
  readyState: (label: string): string => channels.get(label)?.readyState ?? 'none',
  close: (label: string): void => channels.get(label)?.close(),
  received: (): Received[] => received,
  dataConsumers: (): number => current().dataConsumers().length,
  leave: async (): Promise<void> => {
    await session?.leave();
  },
};

(window as unknown as { conferSdk: typeof api }).conferSdk = api;
