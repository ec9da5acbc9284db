import type { Static } from '@sinclair/typebox';
import type { Controller } from '../controller/controller.ts';
import { liveRelayOf } from '../controller/assignment.ts';
import type { ServerClocks } from '../master/server-clocks.ts';
import { redactCredentials } from '../lib/redact.ts';
import type { CameraView, ServerView } from './schemas.ts';
import { diskSummary, failingCameras, lateAfterMs, reportedBy, serverHealth, serverRole } from './server-summary.ts';

/** What the views read of the controller. */
export type ViewSource = Pick<
  Controller,
  'state' | 'liveOf' | 'refusedSegmentsOf' | 'staleStatusesOf' | 'handoversUnderWay'
>;

/**
 * The recording servers as GET /api/v1/servers shows them, and as the service channel sends them
 * (one function, so an event and a read never disagree on what a server looks like). `now` (the
 * controller's clock) decides whether a status is late: `health` can turn suspect with no new
 * status, so a sender of changes compares the views on the tick too.
 */
export function serverViews(
  controller: ViewSource,
  clocks: ServerClocks,
  now: number = Date.now(),
): Static<typeof ServerView>[] {
  const f = controller.state();
  const suspectsOf = new Map(f.servers.map((s) => [s.id, controller.liveOf(s.id)?.status.suspects ?? []]));
  const lateMs = lateAfterMs(f.settings);
  return f.servers.map((s) => {
    const cameras = f.cameras.filter((c) => c.current === s.id).map((c) => c.id);
    const live = controller.liveOf(s.id);
    const group = f.groups.find((g) => g.id === s.group) ?? { id: s.group, redundancy: false };
    const maintenance = !!s.runtime.maintenance;
    return {
      id: s.id,
      group: s.group,
      host: s.host,
      role: cameras.length ? 'active' : 'redundant',
      ...serverRole(s.id, group, f.servers, f.cameras),
      state: s.state,
      health: serverHealth({ state: s.state, maintenance, lastStatusAt: live?.at ?? null, now, lateMs }),
      reportedBy: reportedBy(s.id, suspectsOf),
      cameras,
      lastStatusAt: live?.at ?? null,
      downSince: s.downSince,
      suspects: live?.status.suspects ?? [],
      udp: live?.status.udp ?? null,
      storage: live?.status.storage ?? null,
      disk: diskSummary(live?.status.storage),
      recordingFailed: live?.status.recordingFailed ?? false,
      failingCameras: failingCameras(live?.status.cameras),
      refusedSegments: controller.refusedSegmentsOf(s.id),
      bootId: live?.bootId ?? null,
      statusSeq: live?.status.seq ?? null,
      staleStatuses: controller.staleStatusesOf(s.id),
      maintenance,
      enabled: s.enabled !== false,
      swappedWith: s.runtime.swappedWith ?? null,
      clock: clocks.of(s.id) ?? null,
    };
  });
}

/** The cameras as GET /api/v1/cameras shows them (credentials redacted), and as the service channel sends them. */
export function cameraViews(controller: ViewSource, clocks: ServerClocks): Static<typeof CameraView>[] {
  const f = controller.state();
  const handovers = new Map(
    controller
      .handoversUnderWay()
      .map((h) => [h.camera, { from: h.from, to: h.to, reason: h.reason, startedAt: h.startedAt }]),
  );
  return f.cameras.map((c) => {
    const server = f.servers.find((s) => s.id === c.current);
    const st = controller.liveOf(c.current)?.status.cameras[c.id];
    const recording = !server || server.state === 'down' ? 'unrecorded' : (st?.state ?? 'unknown');
    return {
      id: c.id,
      url: redactCredentials(c.url),
      homeServer: c.home,
      currentServer: c.current,
      movable: c.movable,
      recording,
      lastSegmentEndMs: st?.lastSegmentEndMs ?? null,
      clockOffsetMs: st?.clockOffsetMs ?? null,
      ...(clocks.cameraWarning(st?.clockOffsetMs) !== undefined && {
        clockWarning: clocks.cameraWarning(st?.clockOffsetMs),
      }),
      streams: (c.streams ?? []).map((x, i) => ({
        url: redactCredentials(x.url),
        recording: recording === 'unrecorded' ? recording : (st?.streams?.[i]?.state ?? 'unknown'),
      })),
      liveRelay: liveRelayOf(f, c) ?? null,
      handover: handovers.get(c.id) ?? null,
    };
  });
}
