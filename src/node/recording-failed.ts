import type { CameraStatus } from '../recorder/camera-recorder.ts';

/**
 * Whether "recording cannot start" is this server's report: some cameras answer yet fail to record
 * here, and no camera records at all. One failing camera beside recording ones is that camera's
 * problem (a stream ffmpeg cannot take), and offline cameras say nothing about the server. Nor do
 * buffered cameras (a hot standby's pre-buffer, a live relay): this server is not recording them,
 * and a spare must not be failed over because a camera it only relays fails. A camera starting or
 * being restarted is not judged yet (CameraHealth says failing only after a real chance): cameras
 * coming back together, some judged and some not, are not a failed server.
 */
export function recordingFailed(cameras: Pick<CameraStatus, 'state' | 'mode'>[]): boolean {
  const recorded = cameras.filter((c) => c.mode !== 'buffer');
  return (
    recorded.some((c) => c.state === 'failing') && recorded.every((c) => c.state === 'failing' || c.state === 'offline')
  );
}
