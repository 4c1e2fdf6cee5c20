import { sha256 } from '@noble/hashes/sha2';

/** Lowercase hex SHA-256, as the contract's `sha256` fields carry it. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Base64 of a chunk (at most a few hundred KB), built in slices to keep the call stack small. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.byteLength; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function base64ToBytes(data: string): Uint8Array {
  const binary = atob(data);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The whole Blob as bytes (FileReader where `Blob.arrayBuffer` is missing, e.g. jsdom). */
export function readBlob(blob: Blob): Promise<Uint8Array> {
  if (typeof blob.arrayBuffer === 'function') return blob.arrayBuffer().then((b) => new Uint8Array(b));
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result as ArrayBuffer));
    reader.onerror = () => reject(reader.error ?? new Error('could not read the file'));
    reader.readAsArrayBuffer(blob);
  });
}

/** An incremental SHA-256 (WebCrypto has none): `update` as bytes arrive, `digestHex` once. */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  digestHex(): string;
}

export function createSha256(): Sha256 {
  const hash = sha256.create();
  return {
    update: (bytes) => void hash.update(bytes),
    digestHex: () => Array.from(hash.digest(), (b) => b.toString(16).padStart(2, '0')).join(''),
  };
}

/** Lowercase hex SHA-256 of a Blob, read `sliceBytes` at a time (a large file is never in memory whole). */
export async function sha256OfBlob(blob: Blob, sliceBytes: number): Promise<string> {
  const hash = createSha256();
  for (let at = 0; at < blob.size; at += sliceBytes) hash.update(await readBlob(blob.slice(at, Math.min(blob.size, at + sliceBytes))));
  return hash.digestHex();
}
