import type { NodeFile } from '../protocol/node-api.ts';
import { MAX_FILES_MS } from '../protocol/node-api.ts';
import type { Interval } from '../store/rows.ts';
import type { SegmentRow } from '../store/recording-segments.ts';
import { errText } from '../lib/errors.ts';
import { diffServer } from './verify-diff.ts';
import type { VerifyReport, VerifyServer } from './verify-report.ts';

/** What verify reads: the master's record, and each server's files (one call per hour at most). */
export interface VerifyPorts {
  /** The master's segment rows of a camera stream, every server. */
  segments(camera: string, fromMs: number, toMs: number, stream: number): Promise<SegmentRow[]>;
  /** The master's intervals of a camera stream, every server. */
  recordings(camera: string, fromMs: number, toMs: number, stream: number): Promise<Interval[]>;
  /** Servers the camera belongs to now (home, current): asked even when the master has no footage of theirs. */
  serversOf(camera: string): string[];
  /** Whether a server is in the farm configuration: only those are ever called. */
  configured(server: string): boolean;
  /** A server's files of a camera stream over a range of at most MAX_FILES_MS; throws when it does not answer. */
  files(server: string, camera: string, stream: number, fromMs: number, toMs: number): Promise<NodeFile[]>;
}

/**
 * Compares the master's timeline of a camera stream over [from, to) with the files on every
 * server that has (or that the master thinks has) footage of it, and lists every difference.
 * Servers are asked one after the other, an hour of files at a time: it reads those files in full.
 */
export async function verifyCamera(
  p: VerifyPorts,
  camera: string,
  stream: number,
  from: number,
  to: number,
): Promise<VerifyReport> {
  const [segments, intervals] = await Promise.all([
    p.segments(camera, from, to, stream),
    p.recordings(camera, from, to, stream),
  ]);
  const ids = [
    ...new Set([...segments.map((s) => s.server), ...intervals.map((i) => i.server), ...p.serversOf(camera)]),
  ]
    .filter((s) => p.configured(s))
    .sort();
  const report: VerifyReport = { camera, stream, from, to, ok: true, servers: [], differences: [] };
  for (const server of ids) {
    const timeline = segments.filter((s) => s.server === server);
    const view: VerifyServer = { server, reachable: true, timelineSegments: timeline.length, files: 0, pending: 0 };
    report.servers.push(view);
    const files: NodeFile[] = [];
    try {
      for (let at = from; at < to; at += MAX_FILES_MS) {
        const got = await p.files(server, camera, stream, at, Math.min(to, at + MAX_FILES_MS));
        // A segment crossing a chunk's edge comes in both: each is taken from the chunk its start is in.
        files.push(...(at === from ? got : got.filter((f) => f.startMs >= at)));
      }
    } catch (err) {
      view.reachable = false;
      report.differences.push({
        kind: 'server-unreachable',
        server,
        detail: `its files could not be listed: ${errText(err)}`,
      });
      continue;
    }
    view.files = files.filter((f) => !f.missing).length;
    view.pending = files.filter((f) => f.pending).length;
    report.differences.push(
      ...diffServer({ server, timeline, intervals: intervals.filter((i) => i.server === server), files }, from, to),
    );
  }
  report.ok = report.differences.length === 0;
  return report;
}
