import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPrivateKey } from 'node:crypto';
import { testPki, type TestPki } from '../auth/test-pki.ts';
import type { KeyAndCert } from '../auth/farm-ca.ts';
import type { ExportManifest, NodeChain } from '../protocol/chain-link.ts';
import { exportGaps, exportParts, signManifest } from './export-manifest.ts';
import { nextLinkBody, signLink, type SignedLink } from './segment-link.ts';
import { verifyExport } from './verify-export.ts';

let pki: TestPki;
let s1: KeyAndCert;
let s2: KeyAndCert;
let foreignPki: TestPki;
let foreign: KeyAndCert;

before(async () => {
  pki = await testPki();
  s1 = await pki.server('s1');
  s2 = await pki.server('s2');
  foreignPki = await testPki();
  foreign = await foreignPki.server('s1');
});
after(() => {
  pki.remove();
  foreignPki.remove();
});

const T0 = Math.floor(Date.now() / 1000) * 1000 - 60_000; // within the test certificates' validity
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const MP4 = { sha256: sha('the mp4'), bytes: 12345 };

/** `n` one-second segments of c1 recorded by `server` from second `from`, as its chain signs them. */
function links(server: string, key: KeyAndCert, from: number, n: number): SignedLink[] {
  const out: SignedLink[] = [];
  const k = createPrivateKey(key.key);
  for (let i = 0; i < n; i++) {
    const startMs = T0 + (from + i) * 1000;
    out.push(
      signLink(
        nextLinkBody(out.at(-1)?.body, {
          server,
          camera: 'c1',
          stream: 0,
          kind: 'segment',
          startMs,
          endMs: startMs + 1000,
          bytes: 100 + i,
          sha256: sha(`${server}-${from + i}`),
          atMs: startMs + 1000,
        }),
        k,
      ),
    );
  }
  return out;
}

/**
 * An export of c1 over seconds 0–10: s1 recorded 0–5, then (a failover) s2 recorded 5–10, except
 * that with `hole` s2's second 7 was never recorded.
 */
function manifest(o: { hole?: boolean } = {}): { m: Omit<ExportManifest, 'signature'>; chains: NodeChain[] } {
  const l1 = links('s1', s1, 0, 5);
  let l2 = links('s2', s2, 5, 5);
  if (o.hole) l2 = [...links('s2', s2, 5, 2), ...links('s2', s2, 8, 2)]; // two runs: second 7 missing
  const chains: NodeChain[] = [
    { server: 's1', certificate: s1.cert, links: l1 },
    { server: 's2', certificate: s2.cert, links: o.hole ? renumber(l2) : l2 },
  ];
  const segments = [...l1, ...l2].map((l) => ({
    holder: l.body.server,
    startMs: l.body.startMs,
    endMs: l.body.endMs,
    bytes: l.body.bytes,
    sha256: l.body.sha256,
  }));
  const fromMs = T0;
  const toMs = T0 + 10_000;
  const recorded = segments.map((s) => ({ startMs: s.startMs, endMs: s.endMs }));
  return {
    chains,
    m: {
      version: 1,
      camera: 'c1',
      stream: 0,
      fromMs,
      toMs,
      createdAtMs: T0 + 20_000,
      mp4: MP4,
      segments,
      parts: exportParts(segments, chains),
      gaps: exportGaps(segments, fromMs, toMs, recorded),
      chains,
      unavailable: [],
      dropped: [],
      skipped: [],
      master: { certificate: pki.ca.master.cert },
    },
  };
}

/** One chain's links re-linked in order (as one run of a server signs them). */
function renumber(list: SignedLink[]): SignedLink[] {
  const out: SignedLink[] = [];
  const k = createPrivateKey(s2.key);
  for (const l of list) {
    const { seq: _s, prev: _p, ...fields } = l.body;
    out.push(signLink(nextLinkBody(out.at(-1)?.body, fields), k));
  }
  return out;
}

const signed = (m: Omit<ExportManifest, 'signature'>) =>
  JSON.stringify(signManifest(m, createPrivateKey(pki.ca.master.key)));

test('an untouched export verifies: parts by recording server, in time order', () => {
  const v = verifyExport(signed(manifest().m), MP4, pki.ca.caPem);
  assert.deepEqual(v.problems, []);
  assert.deepEqual(
    v.parts.map((p) => [p.server, p.segments, p.startMs - T0, p.endMs - T0]),
    [
      ['s1', 5, 0, 5000],
      ['s2', 5, 5000, 10_000],
    ],
  );
});

test('a hole nobody recorded is named and is not a problem', () => {
  const v = verifyExport(signed(manifest({ hole: true }).m), MP4, pki.ca.caPem);
  assert.deepEqual(v.problems, []);
  assert.ok(
    v.notes.some((n) => /gap .* \(1000 ms\): nothing recorded/.test(n)),
    v.notes.join('\n'),
  );
});

type M = Omit<ExportManifest, 'signature'>;
const cases: {
  name: string;
  mp4?: typeof MP4;
  ca?: () => string;
  edit?: (m: M) => void;
  after?: (j: ExportManifest) => void;
  problems: RegExp[];
  /** How many problems in all, when more than one per pattern. */
  count?: number;
}[] = [
  { name: 'the MP4 cut short', mp4: { ...MP4, bytes: 9000 }, problems: [/9000 bytes.*cut short/] },
  { name: 'the MP4 altered', mp4: { ...MP4, sha256: sha('other') }, problems: [/SHA-256 is not the manifest's/] },
  {
    name: 'a part removed from the manifest after signing',
    after: (j) => {
      j.segments = j.segments.slice(0, 5);
    },
    problems: [/signature does not verify/, /hole .* not named/, /s2 recorded .* not in the export/],
    count: 7, // each of s2's five segments named
  },
  {
    name: 'a segment left out of the export (signed by the master): the chain still names it',
    edit: (m) => {
      m.segments.splice(7, 1);
      m.gaps = exportGaps(m.segments, m.fromMs, m.toMs, []);
    },
    problems: [/s2 recorded .*link 3.* not in the export: removed/],
  },
  {
    name: "a segment removed from its server's chain and the export",
    edit: (m) => {
      m.segments.splice(2, 1);
      m.chains[0].links.splice(2, 1);
      m.gaps = exportGaps(m.segments, m.fromMs, m.toMs, []);
    },
    problems: [/server s1: link 3 missing: removed/],
  },
  {
    name: 'a segment replaced by other bytes',
    edit: (m) => {
      m.segments[3] = { ...m.segments[3], sha256: sha('forged') };
    },
    problems: [/segment 4 .*not those s1 signed \(link 4\): altered/],
  },
  {
    name: 'the timeline lists footage the export lacks',
    edit: (m) => {
      m.segments.splice(1, 1);
      m.gaps = exportGaps(m.segments, m.fromMs, m.toMs, [{ startMs: T0, endMs: T0 + 10_000 }]);
    },
    problems: [/lists footage there that the export lacks/, /s1 recorded .* not in the export/],
  },
  {
    name: 'nothing wrong in a segment left out because it overlaps footage chosen',
    edit: (m) => {
      const [d] = m.segments.splice(5, 1);
      m.dropped = [d];
      m.gaps = exportGaps(m.segments, m.fromMs, m.toMs, [{ startMs: m.fromMs, endMs: m.toMs }], m.dropped);
    },
    problems: [],
  },
  {
    name: 'segments out of time order',
    edit: (m) => {
      [m.segments[1], m.segments[2]] = [m.segments[2], m.segments[1]];
    },
    problems: [/segment 3 .*out of time order/, /hole .* \(1000 ms\) is not named/],
  },
  {
    name: "a server's link altered in the manifest",
    edit: (m) => {
      const l = m.chains[1].links[1];
      m.chains[1].links[1] = { ...l, body: { ...l.body, endMs: l.body.endMs + 1 } };
    },
    problems: [/server s2: link 2 has no valid signature/, /server s2: link 2 missing/, /segment 7 .*no server's link/],
  },
  {
    name: 'a chain signed by a key of another farm',
    edit: (m) => {
      m.chains[0] = { ...m.chains[0], certificate: foreign.cert };
    },
    problems: [/s1's certificate: not issued by this farm CA/],
  },
  {
    name: "another farm's CA",
    ca: () => foreignPki.ca.caPem,
    problems: [/master's certificate: not issued/, /s1's certificate: not issued/, /s2's certificate: not issued/],
  },
  {
    name: 'a server that did not answer',
    edit: (m) => {
      m.unavailable = ['s3'];
    },
    problems: [/server s3 .*did not answer/],
  },
];

for (const k of cases)
  test(`verify-export finds ${k.name}`, () => {
    const { m } = manifest();
    const copy = structuredClone(m);
    k.edit?.(copy);
    const j = signManifest(copy, createPrivateKey(pki.ca.master.key));
    k.after?.(j);
    const v = verifyExport(JSON.stringify(j), k.mp4 ?? MP4, k.ca?.() ?? pki.ca.caPem);
    for (const p of k.problems)
      assert.ok(
        v.problems.some((x) => p.test(x)),
        `${p} in:\n${v.problems.join('\n')}`,
      );
    assert.equal(v.problems.length, k.count ?? k.problems.length, v.problems.join('\n'));
  });

test('a manifest that is not one is refused with the reasons', () => {
  assert.match(verifyExport('{"version":1', MP4, pki.ca.caPem).problems[0], /not JSON/);
  assert.match(verifyExport('{"version":2}', MP4, pki.ca.caPem).problems.join(), /not a Vigil export manifest/);
});
