import type { FarmConfigInput } from '../config/farm-config.ts';

export interface ExampleFarmOptions {
  simUrl: (cameraId: string) => string;
  udpBasePort: number;
  settings?: FarmConfigInput['settings'];
}

/** Cameras of each server in the example farm. */
export const EXAMPLE_CAMERAS: Record<string, string[]> = {
  s1: ['c1', 'c2'],
  s2: ['c3', 'c4'],
  s3: [],
  s7: ['c7a', 'c7b'],
};

/**
 * The Symphony document's farm: group 1 with two active servers (s1, s2) and one redundant (s3);
 * group 7 with one server alone (s7), which cannot fail over. All on loopback, one UDP port each.
 */
export function exampleFarm(o: ExampleFarmOptions): FarmConfigInput {
  const servers = [
    { id: 's1', group: 1 },
    { id: 's2', group: 1 },
    { id: 's3', group: 1 },
    { id: 's7', group: 7 },
  ].map((s, i) => ({ ...s, host: '127.0.0.1', udpPort: o.udpBasePort + i }));
  return {
    settings: o.settings,
    groups: [
      { id: 1, redundancy: true },
      { id: 7, redundancy: true },
    ],
    servers,
    cameras: Object.entries(EXAMPLE_CAMERAS).flatMap(([server, cams]) =>
      cams.map((id) => ({ id, url: o.simUrl(id), server, movable: true })),
    ),
  };
}
