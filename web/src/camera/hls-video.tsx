import { useEffect, useRef, useState } from 'preact/hooks';
import Hls from 'hls.js/light';

/**
 * A <video> playing an HLS playlist of the master through hls.js (Chromium has no native HLS). It
 * loads the playlist again whenever `src` or `server` changes — a failover moved the camera, so the
 * live view follows it without a page reload — and after a fatal error, with a backoff of up to 5 s
 * (the playlist answers 404 while the camera has no server recording it). `onState` says whether
 * it plays or waits.
 */
export function HlsVideo(props: {
  src: string;
  server: string;
  live: boolean;
  testId: string;
  /** Where to start in a recorded playlist (seconds). */
  startAt?: number;
  onState?: (s: 'playing' | 'waiting') => void;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  const [attempt, setAttempt] = useState(0);
  const { src, server, live, startAt, onState } = props;
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    // Live: start one segment behind the edge, and ask often while the new server has no playlist
    // yet (a failover): the view is back as soon as its first segment is.
    const hls = new Hls({
      liveSyncDurationCount: live ? 1 : 3,
      liveMaxLatencyDurationCount: 5,
      manifestLoadingMaxRetry: live ? 40 : 2,
      manifestLoadingRetryDelay: 250,
      manifestLoadingMaxRetryTimeout: 1000,
      levelLoadingMaxRetry: live ? 40 : 4,
      levelLoadingRetryDelay: 250,
      levelLoadingMaxRetryTimeout: 1000,
      startPosition: startAt ?? -1,
      backBufferLength: live ? 10 : 60,
    });
    let retry: ReturnType<typeof setTimeout> | undefined;
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      onState?.('waiting');
      hls.destroy();
      retry = setTimeout(() => setAttempt((n) => n + 1), Math.min(5000, 250 * 2 ** Math.min(attempt, 4)));
    });
    const playing = () => onState?.('playing');
    video.addEventListener('playing', playing);
    hls.loadSource(src);
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      video.play().catch(() => undefined);
    });
    return () => {
      clearTimeout(retry);
      video.removeEventListener('playing', playing);
      hls.destroy();
    };
  }, [src, server, attempt, live, startAt]);
  return <video ref={ref} data-testid={props.testId} data-server={server} muted playsInline controls={!live} />;
}
