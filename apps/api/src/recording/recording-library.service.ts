import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { SignalingError } from '@confer/signaling-contracts';
import { RECORDING_STORAGE, type RecordingStorage, type StoredRecording } from '../policies/recording-storage';
import { MANIFEST_FILE } from './recording';
import type { RecordingManifest } from './recording-types';
import { RecordingService } from './recording.service';

/** What a stored file's name says about its content. */
const CONTENT_TYPES: Record<string, string> = { mp4: 'video/mp4', mkv: 'video/x-matroska', json: 'application/json', webm: 'video/webm' };
/** Plain names only (RECORDING_STORAGE refuses others too, with a TypeError). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * Stored recordings, as the server API sees them: listed (by room, through
 * each recording's manifest), read and deleted through RECORDING_STORAGE.
 */
@Injectable()
export class RecordingLibraryService {
  private readonly logger = new Logger(RecordingLibraryService.name);
  /** recordingId → roomId, from manifests read once (they do not change once stored). */
  private readonly roomOf = new Map<string, string>();

  constructor(
    @Inject(RECORDING_STORAGE) private readonly storage: RecordingStorage,
    private readonly recordings: RecordingService,
  ) {}

  /** Stored files, all or those of recordings of `roomId`. */
  async list(roomId?: string): Promise<StoredRecording[]> {
    const files = await this.storage.list();
    if (!roomId) return files;
    const ids = [...new Set(files.map((f) => f.recordingId))];
    const keep = new Set<string>();
    for (const id of ids) if ((await this.roomOfRecording(id, files)) === roomId) keep.add(id);
    return files.filter((f) => keep.has(f.recordingId));
  }

  /** One stored file as a stream, with its content type; `not_found` when there is no such file. */
  async read(recordingId: string, fileName: string): Promise<{ file: StoredRecording; stream: Readable; contentType: string }> {
    const file = (await this.filesOf(recordingId)).find((f) => f.fileName === checked(fileName, 'fileName'));
    if (!file) throw new SignalingError('not_found', `recording ${recordingId} has no file ${fileName}`);
    const contentType = CONTENT_TYPES[fileName.slice(fileName.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
    return { file, stream: await this.storage.read(file.key), contentType };
  }

  /** Deletes every stored file of a recording; `not_found` when it has none, `invalid_state` while it is still running. */
  async remove(recordingId: string): Promise<number> {
    const running = this.recordings.list().find((r) => r.recordingId === recordingId);
    if (running && (running.state === 'starting' || running.state === 'recording' || running.state === 'stopping')) {
      throw new SignalingError('invalid_state', `recording ${recordingId} is ${running.state}: stop it first`);
    }
    const files = await this.filesOf(recordingId);
    if (!files.length) throw new SignalingError('not_found', `no stored recording ${recordingId}`);
    for (const f of files) await this.storage.remove(f.key);
    this.roomOf.delete(recordingId);
    this.logger.log(`remove() | recording=${recordingId} files=${files.length}`);
    return files.length;
  }

  private async filesOf(recordingId: string): Promise<StoredRecording[]> {
    return this.storage.list(checked(recordingId, 'recordingId'));
  }

  /** The room a stored recording belongs to: known to this process, or read from its manifest. */
  private async roomOfRecording(recordingId: string, files: StoredRecording[]): Promise<string | undefined> {
    const known = this.roomOf.get(recordingId) ?? this.recordings.list().find((r) => r.recordingId === recordingId)?.roomId;
    if (known) return known;
    const manifest = files.find((f) => f.recordingId === recordingId && f.fileName === MANIFEST_FILE);
    if (!manifest) return undefined;
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of await this.storage.read(manifest.key)) chunks.push(Buffer.from(chunk as Buffer));
      const roomId = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordingManifest).roomId;
      this.roomOf.set(recordingId, roomId);
      return roomId;
    } catch (error) {
      this.logger.warn(`roomOfRecording() | recording=${recordingId} unreadable manifest | ${(error as Error).message}`);
      return undefined;
    }
  }
}

function checked(name: string, what: string): string {
  if (!NAME.test(name) || name.includes('..')) throw new SignalingError('invalid_request', `invalid ${what}: ${JSON.stringify(name)}`);
  return name;
}
