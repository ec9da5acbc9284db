import type Database from 'better-sqlite3';
import type { KeyObject } from 'node:crypto';
import { systemClock, type Clock } from '../lib/clock.ts';
import { nextLinkBody, signLink, type LinkBody, type SignedLink } from '../chain/segment-link.ts';

/** Who signs the chain: this server's id and its identity key (ECDSA P-256, `<data>/identity/key.pem`). */
export interface ChainSigner {
  server: string;
  key: KeyObject;
}

/** A segment this server recorded, as its chain link states it. */
export interface ChainedSegment {
  camera: string;
  stream: number;
  startMs: number;
  endMs: number;
  bytes: number;
  /** SHA-256 (hex) of the file's bytes as stored. */
  sha256: string;
}

interface LinkRow {
  body: string;
  sig: string;
}

/**
 * This server's signed hash chain of the segments it recorded, one chain per camera stream, in a
 * table of the node's local index (segment_chain). A link is added as each segment it recorded is
 * stored (copies brought home by copy-back are not: their links are the recorder's, in the
 * recorder's chain). Links outlive their files: footage released to its home after a copy-back is
 * still vouched for by the server that recorded it. Retention's deletions drop the links of the
 * segments it deleted and add a signed prune link "up to seq N", so a verifier tells retention from
 * removal.
 */
export class SegmentChain {
  private readonly stmts;
  private readonly db: Database.Database;

  constructor(
    db: Database.Database,
    private readonly signer: ChainSigner,
    private readonly clock: Clock = systemClock,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS segment_chain (
        camera_id TEXT NOT NULL,
        stream INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        start_ms INTEGER NOT NULL,
        end_ms INTEGER NOT NULL,
        -- The local index's row of the segment (not signed: it is this index's business).
        segment_id INTEGER,
        body TEXT NOT NULL,
        sig TEXT NOT NULL,
        PRIMARY KEY (camera_id, stream, seq)
      );
      CREATE INDEX IF NOT EXISTS segment_chain_time ON segment_chain (camera_id, stream, end_ms);
      CREATE INDEX IF NOT EXISTS segment_chain_segment ON segment_chain (segment_id) WHERE segment_id IS NOT NULL;
    `);
    this.db = db;
    this.stmts = {
      last: db.prepare<[string, number], LinkRow>(
        'SELECT body, sig FROM segment_chain WHERE camera_id = ? AND stream = ? ORDER BY seq DESC LIMIT 1',
      ),
      insert: db.prepare(
        'INSERT INTO segment_chain (camera_id, stream, seq, kind, start_ms, end_ms, segment_id, body, sig) VALUES (@camera, @stream, @seq, @kind, @startMs, @endMs, @segmentId, @body, @sig)',
      ),
      bySegment: db.prepare<[number], { camera_id: string; stream: number; seq: number }>(
        'SELECT camera_id, stream, seq FROM segment_chain WHERE segment_id = ?',
      ),
      remove: db.prepare<[string, number, number]>(
        'DELETE FROM segment_chain WHERE camera_id = ? AND stream = ? AND seq = ?',
      ),
      seqSpan: db.prepare<[string, number, number, number], { lo: number | null; hi: number | null }>(
        "SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM segment_chain WHERE camera_id = ? AND stream = ? AND kind = 'segment' AND end_ms > ? AND start_ms < ?",
      ),
      between: db.prepare<[string, number, number, number], LinkRow>(
        'SELECT body, sig FROM segment_chain WHERE camera_id = ? AND stream = ? AND seq BETWEEN ? AND ? ORDER BY seq',
      ),
      before: db.prepare<[string, number, number], LinkRow>(
        'SELECT body, sig FROM segment_chain WHERE camera_id = ? AND stream = ? AND seq < ? ORDER BY seq DESC LIMIT 1',
      ),
      after: db.prepare<[string, number, number], LinkRow>(
        'SELECT body, sig FROM segment_chain WHERE camera_id = ? AND stream = ? AND seq > ? ORDER BY seq LIMIT 1',
      ),
      lastPrune: db.prepare<[string, number], LinkRow>(
        "SELECT body, sig FROM segment_chain WHERE camera_id = ? AND stream = ? AND kind = 'prune' ORDER BY seq DESC LIMIT 1",
      ),
    };
  }

  /** Signs and keeps the link of a segment this server recorded (index row `segmentId`); returns it. */
  appendSegment(segmentId: number, s: ChainedSegment): SignedLink {
    return this.db.transaction(() =>
      this.append(
        {
          server: this.signer.server,
          camera: s.camera,
          stream: s.stream,
          kind: 'segment',
          startMs: s.startMs,
          endMs: s.endMs,
          bytes: s.bytes,
          sha256: s.sha256,
          atMs: this.clock.now(),
        },
        segmentId,
      ),
    )();
  }

  /**
   * Retention deleted these segments (index row ids): their links go, and each chain they were in
   * gets a signed prune link naming the highest seq retention has reached. Ids with no link (copies
   * from another server, segments from before the chain) are ignored. Returns the prune links added.
   */
  recordRetention(segmentIds: number[]): SignedLink[] {
    return this.db.transaction(() => {
      const upTo = new Map<string, { camera: string; stream: number; seq: number }>();
      for (const id of segmentIds) {
        const r = this.stmts.bySegment.get(id);
        if (!r) continue;
        // A chain's newest link stays (the next seq follows it); the prune mark covers it all the same.
        const newest = (JSON.parse(this.stmts.last.get(r.camera_id, r.stream)!.body) as LinkBody).seq;
        if (r.seq !== newest) this.stmts.remove.run(r.camera_id, r.stream, r.seq);
        const key = JSON.stringify([r.camera_id, r.stream]);
        const was = upTo.get(key);
        if (!was || r.seq > was.seq) upTo.set(key, { camera: r.camera_id, stream: r.stream, seq: r.seq });
      }
      return [...upTo.values()].map(({ camera, stream, seq }) => {
        const prior = this.stmts.lastPrune.get(camera, stream);
        const priorUpTo = prior ? ((JSON.parse(prior.body) as LinkBody).upToSeq ?? 0) : 0;
        return this.append({
          server: this.signer.server,
          camera,
          stream,
          kind: 'prune',
          startMs: 0,
          endMs: 0,
          bytes: 0,
          sha256: '',
          upToSeq: Math.max(seq, priorUpTo),
          atMs: this.clock.now(),
        });
      });
    })();
  }

  /**
   * The links a verifier needs for a camera stream over [fromMs, toMs): every link from the first
   * to the last segment link overlapping it, the one link either side (so a removal at the edges
   * shows too), and the chain's latest prune link. Empty when this server recorded none of it.
   */
  range(camera: string, stream: number, fromMs: number, toMs: number): SignedLink[] {
    const span = this.stmts.seqSpan.get(camera, stream, fromMs, toMs);
    if (span?.lo == null || span.hi == null) return [];
    const rows = [
      this.stmts.before.get(camera, stream, span.lo),
      ...this.stmts.between.all(camera, stream, span.lo, span.hi),
      this.stmts.after.get(camera, stream, span.hi),
      this.stmts.lastPrune.get(camera, stream),
    ].filter((r): r is LinkRow => r !== undefined);
    const seen = new Set<string>();
    return rows.filter((r) => !seen.has(r.body) && seen.add(r.body)).map(fromRow);
  }

  private append(fields: Omit<LinkBody, 'seq' | 'prev'>, segmentId?: number): SignedLink {
    const last = this.stmts.last.get(fields.camera, fields.stream);
    const link = signLink(nextLinkBody(last && (JSON.parse(last.body) as LinkBody), fields), this.signer.key);
    const b = link.body;
    this.stmts.insert.run({
      camera: b.camera,
      stream: b.stream,
      seq: b.seq,
      kind: b.kind,
      startMs: b.startMs,
      endMs: b.endMs,
      segmentId: segmentId ?? null,
      body: JSON.stringify(b),
      sig: link.sig,
    });
    return link;
  }
}

function fromRow(r: LinkRow): SignedLink {
  return { body: JSON.parse(r.body) as LinkBody, sig: r.sig };
}
