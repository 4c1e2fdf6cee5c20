import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** A stored recording file: `key` names it for `read` and `remove`. */
export interface StoredRecording {
  key: string;
  recordingId: string;
  fileName: string;
  bytes: number;
  storedAt: string;
}

/**
 * Where finished recording files go. Provide your own under
 * {@link RECORDING_STORAGE} (or `ConferModule.forRoot({ recordingStorage })`)
 * to send them to object storage or your document system; the default keeps
 * them in `DATA_DIR/recordings`. `put` receives a complete file on local disk
 * (the recorder never hands over a partial one) and may move it.
 */
export interface RecordingStorage {
  put(recordingId: string, fileName: string, localPath: string): Promise<StoredRecording>;
  list(recordingId?: string): Promise<StoredRecording[]>;
  read(key: string): Promise<Readable>;
  remove(key: string): Promise<void>;
}

export const RECORDING_STORAGE = Symbol('RECORDING_STORAGE');

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The default: one folder per recording under `root`; keys are `<recordingId>/<fileName>`. */
export class LocalDirectoryStorage implements RecordingStorage {
  constructor(readonly root: string) {}

  async put(recordingId: string, fileName: string, localPath: string): Promise<StoredRecording> {
    const target = this.pathOf(recordingId, fileName);
    await mkdir(path.dirname(target), { recursive: true });
    // A rename is atomic on one file system; across file systems the file is copied, then removed.
    await rename(localPath, target).catch(async () => {
      await copyFile(localPath, target);
      await rm(localPath, { force: true });
    });
    return this.describe(recordingId, fileName);
  }

  async list(recordingId?: string): Promise<StoredRecording[]> {
    const ids = recordingId ? [checked(recordingId)] : await readdir(this.root).catch(() => [] as string[]);
    const out: StoredRecording[] = [];
    for (const id of ids.filter((i) => NAME.test(i))) {
      for (const file of await readdir(path.join(this.root, id)).catch(() => [] as string[])) {
        if (NAME.test(file)) out.push(await this.describe(id, file));
      }
    }
    return out.sort((a, b) => a.key.localeCompare(b.key));
  }

  async read(key: string): Promise<Readable> {
    const [id, file] = splitKey(key);
    const full = this.pathOf(id, file);
    await stat(full);
    return createReadStream(full);
  }

  async remove(key: string): Promise<void> {
    const [id, file] = splitKey(key);
    await rm(this.pathOf(id, file));
    // The recording's folder goes with its last file.
    if ((await readdir(path.join(this.root, id)).catch(() => ['?'])).length === 0) await rm(path.join(this.root, id), { recursive: true, force: true });
  }

  private async describe(recordingId: string, fileName: string): Promise<StoredRecording> {
    const s = await stat(this.pathOf(recordingId, fileName));
    return { key: `${recordingId}/${fileName}`, recordingId, fileName, bytes: s.size, storedAt: s.mtime.toISOString() };
  }

  /** Only plain names: a key can never reach outside the root. */
  private pathOf(recordingId: string, fileName: string): string {
    return path.join(this.root, checked(recordingId), checked(fileName));
  }
}

function checked(name: string): string {
  if (!NAME.test(name) || name.includes('..')) throw new TypeError(`invalid recording file name: ${JSON.stringify(name)}`);
  return name;
}

function splitKey(key: string): [string, string] {
  const parts = key.split('/');
  if (parts.length !== 2) throw new TypeError(`invalid recording key: ${JSON.stringify(key)}`);
  return [checked(parts[0]), checked(parts[1])];
}
