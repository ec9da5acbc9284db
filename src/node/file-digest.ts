/**
 * Checksums of segment files: hashing a file, the stat fingerprint a cached checksum is tied to,
 * sending a file hashed on the way, and the Repr-Digest fields (RFC 9530) that carry a checksum
 * over HTTP.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type BigIntStats } from 'node:fs';
import { stat, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * A write within the same tick of the file system's clock as a read keeps the file's times (git's
 * "racy" entries): a checksum is cached only for a file last modified this long before it was read.
 */
const RACY_MS = 2000;
/** Read size: a segment of about a megabyte in one read. */
const READ_CHUNK = 1 << 20;
/**
 * Read buffers kept for the next file: a fresh one per read is new external memory to V8, and each
 * 64 MB of that costs a full garbage collection, which would cost more than the hashing.
 */
const spare: Buffer[] = [];
const KEEP_SPARE = 8;

/** SHA-256 (hex) and size of a file, read as a stream so a large file never sits in memory. */
export async function sha256File(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  await pipeline(createReadStream(file, { highWaterMark: READ_CHUNK }), async (chunks: AsyncIterable<Buffer>) => {
    for await (const chunk of chunks) {
      hash.update(chunk);
      bytes += chunk.length;
    }
  });
  return { sha256: hash.digest('hex'), bytes };
}

/** What tells one version of a file from another without reading it: device, inode, size, modification and change times. */
export function statFingerprint(st: BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** The fingerprint of a file now, or undefined when it cannot be read. */
export async function fingerprintOf(file: string): Promise<string | undefined> {
  return stat(file, { bigint: true }).then(statFingerprint, () => undefined);
}

/**
 * Writes an open file to `out` (an HTTP response), hashing it as it is read, and closes the file.
 * Resolves once all is written, with the SHA-256 of what was sent and, when that checksum may be
 * cached, the fingerprint the file had before it was read: a file written to since no longer has
 * that fingerprint, so the cached checksum never stands for it. A file modified too recently to
 * tell gets none.
 */
export async function sendHashed(fh: FileHandle, out: Writable): Promise<{ sha256: string; fingerprint?: string }> {
  let buf: Buffer | undefined = spare.pop() ?? Buffer.allocUnsafeSlow(READ_CHUNK);
  try {
    const before = await fh.stat({ bigint: true });
    const readFromMs = Date.now();
    const hash = createHash('sha256');
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      await written(out, buf.subarray(0, bytesRead)).catch((err: unknown) => {
        buf = undefined; // the connection may still hold it: never reused
        throw err;
      });
    }
    const sha256 = hash.digest('hex');
    const settled = Number(before.mtimeNs / 1_000_000n) < readFromMs - RACY_MS;
    return settled ? { sha256, fingerprint: statFingerprint(before) } : { sha256 };
  } finally {
    await fh.close();
    if (buf && spare.length < KEEP_SPARE) spare.push(buf);
  }
}

/** Writes a chunk; resolves once `out` is done with it (so its buffer can be reused), rejects if `out` closes first. */
function written(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = () => reject(new Error('the connection closed mid-body'));
    out.once('close', closed);
    out.write(chunk, (err) => {
      out.off('close', closed);
      if (err) reject(err);
      else resolve();
    });
  });
}

/** Whether a Want-Repr-Digest request field (RFC 9530) asks for sha-256, with a weight above 0. */
export function wantsSha256(field: string | string[] | undefined): boolean {
  return /(^|,)\s*sha-256\s*=\s*([1-9]|10)\s*(,|$)/i.test(String(field ?? ''));
}

/** The Repr-Digest field (RFC 9530) of a SHA-256 given in hex. */
export function reprDigest(sha256Hex: string): string {
  return `sha-256=:${Buffer.from(sha256Hex, 'hex').toString('base64')}:`;
}

/** The SHA-256 (hex) a Repr-Digest field gives, or undefined when it gives none. */
export function sha256OfReprDigest(field: string | undefined): string | undefined {
  const m = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/]{43}=):\s*(?:,|$)/.exec(field ?? '');
  return m ? Buffer.from(m[1], 'base64').toString('hex') : undefined;
}
