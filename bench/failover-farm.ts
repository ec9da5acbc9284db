// The farm bench:failover runs, in each of its modes: group 1 of the example farm on loopback.
import type { FarmConfigInput } from '../src/config/farm-config.ts';
import { exampleFarm } from '../src/farm/example-farm.ts';

/** The group policies bench:failover measures (s3's part in each: see failover.ts). */
export type FailoverPolicy = 'spare' | 'standby' | 'hot' | 'distribute';

/** What the bench's farm is built from. */
export interface FailoverFarmOptions {
  policy: FailoverPolicy;
  rtspPort: number;
  udpBasePort: number;
  missedMs: number;
}

/**
 * Group 1 of the example farm (s1, s2 active with two cameras each; s3 the policy's failover
 * server), cameras served by the simulator on `rtspPort`, health on fast bench timings.
 */
export function failoverFarm(o: FailoverFarmOptions): FarmConfigInput {
  const config = exampleFarm({
    simUrl: (id) => `rtsp://127.0.0.1:${o.rtspPort}/${id}`,
    udpBasePort: o.udpBasePort,
    settings: {
      AliveIntervalMs: 250,
      FarmHealthMissedUdpMs: o.missedMs,
      FarmHealthStartDelayMs: 5000,
      StatusIntervalMs: 250,
    },
  });
  const policy = o.policy;
  config.servers = config.servers.filter((s) => s.group === 1);
  config.cameras = config.cameras.filter((c) => config.servers.some((s) => s.id === c.server));
  config.groups = [{ id: 1, policy, ...(policy === 'standby' && { failoverServers: ['s3'] }) }];
  if (policy === 'hot') config.servers.find((s) => s.id === 's3')!.hotStandbyFor = 's1';
  if (policy === 'distribute') {
    config.servers.find((s) => s.id === 's2')!.maxCameras = 3;
    config.servers.find((s) => s.id === 's3')!.maxCameras = 1;
  }
  return config;
}
