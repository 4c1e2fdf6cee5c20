import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalDirectoryStorage } from './recording-storage';

describe('LocalDirectoryStorage', () => {
  let dir: string;
  let storage: LocalDirectoryStorage;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'confer-rec-'));
    storage = new LocalDirectoryStorage(path.join(dir, 'recordings'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const work = (name: string, content: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('moves a finished file in, lists it per recording, streams it back and deletes it', async () => {
    const stored = await storage.put('rec-1', 'meeting.webm', work('a.tmp', 'video bytes'));
    expect(stored).toMatchObject({ key: 'rec-1/meeting.webm', recordingId: 'rec-1', fileName: 'meeting.webm', bytes: 11 });
    expect(existsSync(path.join(dir, 'a.tmp'))).toBe(false);
    await storage.put('rec-1', 'manifest.json', work('b.tmp', '{}'));
    await storage.put('rec-2', 'meeting.webm', work('c.tmp', 'other'));
    expect((await storage.list('rec-1')).map((s) => s.key)).toEqual(['rec-1/manifest.json', 'rec-1/meeting.webm']);
    expect((await storage.list()).map((s) => s.key)).toHaveLength(3);
    const chunks: Buffer[] = [];
    for await (const c of await storage.read('rec-1/meeting.webm')) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('video bytes');
    await storage.remove('rec-1/meeting.webm');
    await storage.remove('rec-1/manifest.json');
    expect(await storage.list('rec-1')).toEqual([]);
    expect(readFileSync(path.join(dir, 'recordings/rec-2/meeting.webm'), 'utf8')).toBe('other');
  });

  it('never reaches outside its folder', async () => {
    await expect(storage.read('../../etc/passwd')).rejects.toThrow(TypeError);
    await expect(storage.read('rec-1/../../x')).rejects.toThrow(TypeError);
    await expect(storage.put('..', 'x', work('d.tmp', 'x'))).rejects.toThrow(TypeError);
    await expect(storage.remove('a/b/c')).rejects.toThrow(TypeError);
    await expect(storage.read('rec-9/missing.webm')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
