import { Command } from 'commander';
import { CameraSim, DEFAULT_SUB_SIZE, SUB_STREAM_SUFFIX, type SimSize } from '../sim/camera-sim.ts';
import { createLogger } from '../lib/log.ts';
import { closeOnSignal } from './shutdown.ts';

const DEFAULT_SUB = `${DEFAULT_SUB_SIZE.width}x${DEFAULT_SUB_SIZE.height}`;

/** `vigil sim`: simulated IP cameras over RTSP. */
export function simCommand(): Command {
  return new Command('sim')
    .description('simulated IP cameras over RTSP (H.264, wall-clock time burned into the picture)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'RTSP port', '8554')
    .option('--cameras <ids>', 'comma-separated camera ids', 'cam1')
    .option('--size <WxH>', 'resolution', '320x240')
    .option('--fps <n>', 'frames per second', '10')
    .option('--keyint <seconds>', 'keyframe interval', '1')
    .option('--audio', 'also send an AAC audio track (48 kHz mono sine tone) on every stream')
    .option(
      '--sub [WxH]',
      `also serve a sub stream at rtsp://host:port/<id>${SUB_STREAM_SUFFIX} (same fps and keyframes; default size ${DEFAULT_SUB})`,
    )
    .addHelpText(
      'after',
      `\nStreams: rtsp://<host>:<port>/<id> (main), rtsp://<host>:<port>/<id>${SUB_STREAM_SUFFIX} (sub, with --sub).`,
    )
    .action(
      async (o: {
        host: string;
        port: string;
        cameras: string;
        size: string;
        fps: string;
        keyint: string;
        audio?: true;
        sub?: true | string;
      }) => {
        const log = createLogger('sim');
        const { width, height } = parseSize(o.size, '--size');
        const sub = o.sub === undefined ? undefined : parseSize(o.sub === true ? DEFAULT_SUB : o.sub, '--sub');
        const ids = o.cameras.split(',').filter(Boolean);
        const sim = new CameraSim({
          host: o.host,
          port: Number(o.port),
          cameras: ids.map((id) => ({ id, width, height, fps: Number(o.fps), keyintSeconds: Number(o.keyint) })),
          audio: o.audio ?? false,
          sub,
          log,
        });
        closeOnSignal(log, () => sim.close());
        await sim.start();
        log.info(
          { urls: ids.map((id) => sim.url(id)), ...(sub && { subUrls: ids.map((id) => sim.subUrl(id)) }) },
          'cameras ready',
        );
      },
    );
}

/** `WxH`, both even (libx264 refuses odd sizes in yuv420p): refused here, not as a stuck encoder. */
function parseSize(s: string, option: string): SimSize {
  const m = /^(\d+)x(\d+)$/.exec(s);
  const [width, height] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || !width || !height || width % 2 || height % 2)
    throw new Error(`${option}: expected WxH with even, non-zero sizes, got ${JSON.stringify(s)}`);
  return { width, height };
}
