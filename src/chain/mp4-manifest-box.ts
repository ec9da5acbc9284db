/**
 * The export manifest inside its MP4: one top-level `uuid` box appended after ffmpeg's boxes
 * (players skip boxes they do not know). The manifest's `mp4.sha256` covers every byte before that
 * box, so the file's hash is checked without the manifest in it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

/** Vigil's box type: a UUID of its own (usertype of an ISO BMFF `uuid` box). */
export const MANIFEST_UUID = Buffer.from('7669676c2d6d616e6966657374000001', 'hex');

/** Bytes before a manifest box's payload: size 1, 'uuid', the 64-bit size, the usertype. */
const HEADER = 32;

/** The box that carries a manifest (its JSON, UTF-8), to append to an MP4. */
export function manifestBox(json: string): Buffer {
  const payload = Buffer.from(json, 'utf8');
  const head = Buffer.alloc(HEADER - 16);
  head.writeUInt32BE(1, 0); // size 1: the 64-bit size follows the type, so no manifest is too large
  head.write('uuid', 4, 'latin1');
  head.writeBigUInt64BE(BigInt(HEADER + payload.length), 8);
  return Buffer.concat([head, MANIFEST_UUID, payload]);
}

/** A top-level box of an MP4: its type, where it starts and its size (whole box). */
export interface TopBox {
  type: string;
  offset: number;
  size: number;
  /** The usertype of a `uuid` box. */
  uuid?: Buffer;
}

/**
 * The top-level boxes of an MP4 file, reading only their headers; `problem` says where the box
 * structure breaks (a file cut short, or not an MP4).
 */
export async function topBoxes(file: string): Promise<{ boxes: TopBox[]; fileBytes: number; problem?: string }> {
  const fh = await open(file, 'r');
  try {
    const fileBytes = (await fh.stat()).size;
    const boxes: TopBox[] = [];
    const head = Buffer.alloc(32);
    let at = 0;
    while (at < fileBytes) {
      const { bytesRead } = await fh.read(head, 0, 32, at);
      if (bytesRead < 8) return { boxes, fileBytes, problem: `a box header at byte ${at} is cut short` };
      let size = head.readUInt32BE(0);
      const type = head.toString('latin1', 4, 8);
      let body = 8;
      if (size === 1) {
        if (bytesRead < 16) return { boxes, fileBytes, problem: `a box header at byte ${at} is cut short` };
        size = Number(head.readBigUInt64BE(8));
        body = 16;
      } else if (size === 0) size = fileBytes - at;
      if (size < body || at + size > fileBytes)
        return { boxes, fileBytes, problem: `box '${type}' at byte ${at} runs past the end of the file (cut short)` };
      boxes.push({
        type,
        offset: at,
        size,
        ...(type === 'uuid' && bytesRead >= body + 16 && { uuid: Buffer.from(head.subarray(body, body + 16)) }),
      });
      at += size;
    }
    return { boxes, fileBytes };
  } finally {
    await fh.close();
  }
}

/** The manifest JSON embedded in an MP4 (its last box, Vigil's uuid), and where it starts; undefined if none. */
export async function readEmbeddedManifest(file: string): Promise<{ json: string; offset: number } | undefined> {
  const { boxes } = await topBoxes(file);
  const last = boxes.at(-1);
  if (last?.type !== 'uuid' || last.size < HEADER || !last.uuid?.equals(MANIFEST_UUID)) return undefined;
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(last.size - HEADER);
    await fh.read(buf, 0, buf.length, last.offset + HEADER);
    return { json: buf.toString('utf8'), offset: last.offset };
  } finally {
    await fh.close();
  }
}

/** SHA-256 (hex) of a file's first `bytes` bytes (all when undefined), read as a stream. */
export async function sha256Prefix(file: string, bytes?: number): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let n = 0;
  if (bytes === 0) return { sha256: hash.digest('hex'), bytes: 0 };
  for await (const chunk of createReadStream(file, {
    highWaterMark: 1 << 20,
    ...(bytes !== undefined && { end: bytes - 1 }),
  }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    n += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes: n };
}
