import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { checkChain } from './chain-check.ts';
import { GENESIS, linkHash, linkSignatureValid, nextLinkBody, signLink, type SignedLink } from './segment-link.ts';

const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });

/** A chain of `n` one-second segments from t=1000 s, then a prune link when `pruneUpTo` is given. */
function chain(n: number, pruneUpTo?: number): SignedLink[] {
  const out: SignedLink[] = [];
  for (let i = 0; i < n; i++) {
    const startMs = 1_000_000 + i * 1000;
    const body = nextLinkBody(out.at(-1)?.body, {
      server: 's1',
      camera: 'c1',
      stream: 0,
      kind: 'segment',
      startMs,
      endMs: startMs + 1000,
      bytes: 1000 + i,
      sha256: String(i).padStart(64, 'a'),
      atMs: startMs + 1100,
    });
    out.push(signLink(body, keys.privateKey));
  }
  if (pruneUpTo !== undefined)
    out.push(
      signLink(
        nextLinkBody(out.at(-1)?.body, {
          server: 's1',
          camera: 'c1',
          stream: 0,
          kind: 'prune',
          startMs: 0,
          endMs: 0,
          bytes: 0,
          sha256: '',
          upToSeq: pruneUpTo,
          atMs: 2_000_000,
        }),
        keys.privateKey,
      ),
    );
  return out;
}

test('links are numbered from 1, each naming the hash of the one before; signatures verify with the key only', () => {
  const c = chain(3);
  assert.deepEqual(
    c.map((l) => l.body.seq),
    [1, 2, 3],
  );
  assert.equal(c[0].body.prev, GENESIS);
  assert.equal(c[2].body.prev, linkHash(c[1].body));
  assert.ok(linkSignatureValid(c[1], keys.publicKey));
  assert.ok(!linkSignatureValid(c[1], other.publicKey));
  assert.ok(!linkSignatureValid({ ...c[1], body: { ...c[1].body, bytes: 1 } }, keys.publicKey));
});

const cases: { name: string; links: () => SignedLink[]; key?: 'other'; problems: RegExp[]; notes?: RegExp[] }[] = [
  { name: 'an untouched chain', links: () => chain(5), problems: [] },
  { name: 'verification may start at any link', links: () => chain(8).slice(3), problems: [] },
  {
    name: 'a link removed',
    links: () => chain(5).filter((l) => l.body.seq !== 3),
    problems: [/link 3 missing: removed/],
  },
  {
    name: 'several links removed',
    links: () => chain(7).filter((l) => l.body.seq < 3 || l.body.seq > 5),
    problems: [/links 3–5 missing: removed/],
  },
  {
    name: 'links removed by retention, below its signed prune mark',
    links: () => chain(6, 4).filter((l) => l.body.seq > 4 || l.body.seq === 1),
    problems: [],
    notes: [/links 2–4 pruned by retention/],
  },
  {
    name: 'a link altered (its hash changed, signature kept)',
    links: () => {
      const c = chain(4);
      c[1] = { ...c[1], body: { ...c[1].body, sha256: 'f'.repeat(64) } };
      return c;
    },
    problems: [/link 2 has no valid signature/, /link 2 missing: removed/],
  },
  {
    name: 'a link re-signed by another key',
    links: () => {
      const c = chain(3);
      c[2] = signLink(c[2].body, other.privateKey);
      return c;
    },
    problems: [/link 3 has no valid signature/],
  },
  {
    name: 'two links swapped (re-numbered and re-signed with the key: the hashes no longer follow)',
    links: () => {
      const c = chain(4);
      const a = c[1].body;
      const b = c[2].body;
      c[1] = signLink({ ...b, seq: 2 }, keys.privateKey);
      c[2] = signLink({ ...a, seq: 3 }, keys.privateKey);
      return c;
    },
    problems: [
      /link 2 does not follow link 1/,
      /link 3 does not follow link 2/,
      /link 3 .*starts before link 2.*reordered/,
      /link 4 does not follow/,
    ],
  },
  {
    name: 'a duplicate seq with other contents',
    links: () => {
      const c = chain(3);
      return [...c, signLink({ ...c[1].body, bytes: 7 }, keys.privateKey)];
    },
    problems: [/link 2 appears twice/],
  },
];

for (const k of cases)
  test(`chain check: ${k.name}`, () => {
    const f = checkChain(k.links(), keys.publicKey, 's1 c1/0');
    assert.equal(f.problems.length, k.problems.length, f.problems.join('\n'));
    for (const p of k.problems)
      assert.ok(
        f.problems.some((x) => p.test(x)),
        `${p} in:\n${f.problems.join('\n')}`,
      );
    for (const n of k.notes ?? [])
      assert.ok(
        f.notes.some((x) => n.test(x)),
        `${n} in:\n${f.notes.join('\n')}`,
      );
  });
