import { Command } from 'commander';
import { CameraSim } from '../sim/camera-sim.ts';
import { createLogger } from '../lib/log.ts';
import { closeOnSignal } from './shutdown.ts';

export function simCommand(): Command {
  return new Command('sim')
    .description('simulated IP cameras over RTSP (H.264, wall-clock time burned into the picture)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'RTSP port', '8554')
    .option('--cameras <ids>', 'comma-separated camera ids', 'cam1')
    .option('--size <WxH>', 'resolution', '320x240')
    .option('--fps <n>', 'frames per second', '10')
    .option('--keyint <seconds>', 'keyframe interval', '1')
    .action(async (o: { host: string; port: string; cameras: string; size: string; fps: string; keyint: string }) => {
      const log = createLogger('sim');
      const [width, height] = o.size.split('x').map(Number);
      const sim = new CameraSim({
        host: o.host,
        port: Number(o.port),
        cameras: o.cameras.split(',').filter(Boolean).map((id) => ({ id, width, height, fps: Number(o.fps), keyintSeconds: Number(o.keyint) })),
        log,
      });
      closeOnSignal(log, () => sim.close());
      await sim.start();
      log.info({ urls: o.cameras.split(',').map((id) => sim.url(id)) }, 'cameras ready');
    });
}
