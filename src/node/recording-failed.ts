import type { CameraStatus } from '../recorder/camera-recorder.ts';

/**
 * Whether "recording cannot start" is this server's report: some cameras answer yet fail to record
 * here, and no camera records at all. One failing camera beside recording ones is that camera's
 * problem (a stream ffmpeg cannot take), and offline cameras say nothing about the server.
 */
export function recordingFailed(cameras: Pick<CameraStatus, 'state'>[]): boolean {
  return cameras.some((c) => c.state === 'failing') && !cameras.some((c) => c.state === 'recording');
}
