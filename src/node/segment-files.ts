import type { FastifyReply } from 'fastify';
import { open, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { resolveInside } from '../lib/inside-root.ts';
import type { Logger } from '../lib/log.ts';
import type { IndexedSegment, LocalIndex } from '../storage/local-index.ts';
import { fingerprintOf, reprDigest, sendHashed } from './file-digest.ts';

/** One stored copy of a segment: `file` to read (its real path), `at` the name in the layout, to delete. */
export interface SegmentFile {
  root: string;
  file: string;
  at: string;
  bytes: number;
}

/** How a segment's file is sent: private, and cached a day (a segment never changes). */
export const SEGMENT_CACHE = 'private, max-age=86400';

/** What SegmentFiles uses of the node. */
export interface SegmentFilesOptions {
  /** The storage paths holding a segment's file, the one to read from first. */
  roots: (seg: IndexedSegment) => string[];
  index: LocalIndex;
  log: Logger;
}

/**
 * A node's segment files as its API serves them: found by index row inside the storage paths only,
 * sent with their checksum, and the checksum cached for the release that follows.
 */
export class SegmentFiles {
  constructor(private readonly o: SegmentFilesOptions) {}

  /**
   * Sends a segment chunked, hashing it as it is read, with its SHA-256 in a Repr-Digest trailer
   * (RFC 9530): copy-back verifies what it got against it, without the file being read twice here.
   * The checksum is cached in the index for the release that follows. Written by hand, not by
   * fastify, so the file goes out through reused buffers (see sendHashed).
   */
  async sendWithDigest(reply: FastifyReply, seg: IndexedSegment, file: string): Promise<void> {
    const fh = await open(file, 'r');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'video/mp2t',
      'cache-control': SEGMENT_CACHE,
      'transfer-encoding': 'chunked',
      trailer: 'repr-digest',
    });
    try {
      const { sha256, fingerprint } = await sendHashed(fh, res);
      if (fingerprint) this.o.index.setChecksum(seg.id, sha256, fingerprint);
      res.addTrailers({ 'repr-digest': reprDigest(sha256) });
      res.end();
    } catch (err) {
      // The status is sent: cutting the connection is all that is left to tell the client (it gets no trailer).
      this.o.log.warn({ id: seg.id, err: (err as Error).message }, 'segment not sent whole');
      res.destroy();
    }
  }

  /** The checksum cached for a segment when `file` is still the very file it was taken of, else undefined. */
  async cachedSha256(seg: IndexedSegment, file: string): Promise<string | undefined> {
    const cached = this.o.index.checksum(seg.id);
    return cached && (await fingerprintOf(file)) === cached.stat ? cached.sha256 : undefined;
  }

  /**
   * The segment's files in its storage paths, in reading order (only the first with `firstOnly`);
   * a path the index row would lead out of the storage root through is skipped.
   */
  async files(seg: IndexedSegment, firstOnly: boolean): Promise<SegmentFile[]> {
    const out: SegmentFile[] = [];
    for (const root of this.o.roots(seg)) {
      const file = await resolveInside(root, seg.path);
      const st = file ? await stat(file).catch(() => undefined) : undefined;
      if (!file || !st?.isFile()) continue;
      // Delete the name in the layout, not its real target: a symlinked name must not take another file with it.
      out.push({ root, file, at: join(root, normalize(seg.path)), bytes: st.size });
      if (firstOnly) break;
    }
    return out;
  }
}
