import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseFarmConfig } from '../src/config/farm-config.ts';

// Every ```yaml block of README.md and docs/*.md must load as a whole farm configuration, the way
// `vigil master --config` and `vigil apply` read it: a new user copies these first. A block meant as
// a piece of a configuration starts with the line `# fragment`; it must still be valid YAML.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FRAGMENT = /^#\s*fragment\b/;

interface Block {
  file: string;
  /** Line number (1-based) of the block's first YAML line in its file. */
  line: number;
  text: string;
}

/** The fenced ```yaml / ```yml blocks of a Markdown file, with where each starts. */
function yamlBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const out: Block[] = [];
  let open: { line: number; fence: string; body: string[] } | undefined;
  lines.forEach((l, i) => {
    if (!open) {
      const m = /^(\s*)(```+|~~~+)\s*ya?ml\b/i.exec(l);
      if (m) open = { line: i + 2, fence: m[2], body: [] };
      return;
    }
    if (l.trim().startsWith(open.fence)) {
      out.push({ file, line: open.line, text: open.body.join('\n') });
      open = undefined;
    } else open.body.push(l);
  });
  assert.equal(open, undefined, `${file}: a yaml block opened at line ${open?.line} is never closed`);
  return out;
}

function markdownFiles(): string[] {
  const docs = join(ROOT, 'docs');
  const inDocs = existsSync(docs)
    ? readdirSync(docs)
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => join(docs, f))
    : [];
  return [join(ROOT, 'README.md'), ...inDocs];
}

/** What is wrong with one block, in words a reader can act on; empty when it loads. */
function problemsOf(b: Block): string[] {
  let doc: unknown;
  try {
    doc = parse(b.text);
  } catch (err) {
    // The parser counts lines from the block's start; name the file's line too.
    const at = (err as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    return [`YAML${at ? ` (file line ${b.line + at - 1})` : ''}: ${(err as Error).message}`];
  }
  if (FRAGMENT.test(b.text.trimStart())) return [];
  try {
    const { warnings } = parseFarmConfig(doc);
    // An example that warns (a group that cannot fail over, say) teaches the wrong farm.
    return warnings.map((w) => `warning: ${w}`);
  } catch (err) {
    const details = (err as { details?: unknown[] }).details;
    return details?.length ? details.map(String) : [(err as Error).message];
  }
}

test('every yaml example of the README and docs/ loads as a farm configuration (or is marked # fragment)', () => {
  const blocks = markdownFiles().flatMap((f) => yamlBlocks(relative(ROOT, f), readFileSync(f, 'utf8')));
  assert.ok(
    blocks.some((b) => b.file === 'README.md'),
    'the README has a configuration example',
  );
  const failures = blocks
    .map((b) => ({ b, problems: problemsOf(b) }))
    .filter((x) => x.problems.length)
    .map(({ b, problems }) => `${b.file}:${b.line}: ${problems.join('; ')}`);
  assert.deepEqual(failures, [], `examples that do not load:\n${failures.join('\n')}`);
});

test('the example extractor finds blocks, their lines, and honours # fragment', () => {
  assert.deepEqual(yamlBlocks('x.md', 'intro\n\n```yaml\na: 1\nb: 2\n```\n\n```sh\nls\n```\n~~~yml\nc: 3\n~~~\n'), [
    { file: 'x.md', line: 4, text: 'a: 1\nb: 2' },
    { file: 'x.md', line: 12, text: 'c: 3' },
  ]);
  const b = (text: string): Block => ({ file: 'x.md', line: 3, text });
  assert.deepEqual(problemsOf(b('# fragment\nsettings: { AliveIntervalMs: 250 }')), []);
  assert.match(problemsOf(b('servers:\n  - { id: s1 }\n    storage: {}'))[0], /^YAML \(file line 5\): Sequence item/);
  assert.ok(problemsOf(b('groups: []\nservers: []\ncameras: []\nextra: 1')).length > 0, 'unknown key named');
  assert.deepEqual(problemsOf(b('groups: []\nservers: []\ncameras: []')), []);
});
