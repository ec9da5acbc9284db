import { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { iso } from '../chain/chain-check.ts';
import { readEmbeddedManifest, sha256Prefix, topBoxes } from '../chain/mp4-manifest-box.ts';
import { verifyExport, type ExportVerdict } from '../chain/verify-export.ts';
import { readCredentials } from './credentials.ts';

/** Options of `vigil verify-export`. */
interface VerifyExportOptions {
  manifest?: string;
  ca?: string;
  json?: boolean;
  saveManifest?: string;
}

/**
 * `vigil verify-export FILE [--manifest M] [--ca farm-ca.pem]`: checks an exported MP4 offline
 * against its manifest (embedded, or kept apart) and the farm CA. Exit code 1 on any problem, each
 * one listed; 0 when the export is what the farm's servers recorded.
 */
export function verifyExportCommand(): Command {
  return new Command('verify-export')
    .description(
      "check an exported MP4 offline: its hash, the master's signature, each server's signed segment chain against the farm CA, every gap named",
    )
    .argument('<file>', 'the MP4 that GET /api/v1/cameras/:id/export.mp4 gave')
    .option('--manifest <file>', 'a manifest kept apart from the MP4 (default: the one embedded at its end)')
    .option('--ca <file>', "the farm CA certificate (PEM; default: the saved login's, `vigil login --ca`)")
    .option('--save-manifest <file>', 'also write the embedded manifest to this file (to keep it apart)')
    .option('--json', 'print the verdict as JSON')
    .action(async (file: string, o: VerifyExportOptions) => {
      const caFile = o.ca ?? readCredentials()?.ca;
      if (!caFile) throw new Error('no farm CA: pass --ca farm-ca.pem (GET /api/v1/ca.pem of the master gives it)');
      const verdict = await verifyExportFile(file, readFileSync(caFile, 'utf8'), o);
      if (o.json) console.log(JSON.stringify(verdict, (k, v) => (k === 'manifest' ? undefined : v), 2));
      else console.log(verdictText(file, verdict));
      process.exitCode = verdict.problems.length ? 1 : 0;
    });
}

/** Reads an export and its manifest (embedded or `o.manifest`) and checks them against the CA. */
export async function verifyExportFile(
  file: string,
  caPem: string,
  o: Pick<VerifyExportOptions, 'manifest' | 'saveManifest'> = {},
): Promise<ExportVerdict> {
  const embedded = await readEmbeddedManifest(file);
  if (o.saveManifest && embedded) writeFileSync(o.saveManifest, embedded.json);
  const json = o.manifest ? readFileSync(o.manifest, 'utf8') : embedded?.json;
  if (json === undefined) {
    const { problem } = await topBoxes(file);
    return {
      problems: [
        `${file} holds no Vigil manifest at its end${problem ? `: ${problem}` : ''} (cut short, or not a Vigil export; pass --manifest if it was kept apart)`,
      ],
      notes: [],
      parts: [],
    };
  }
  // The MP4 is every byte before the manifest box (the whole file when the manifest was kept apart and none is embedded).
  return verifyExport(json, await sha256Prefix(file, embedded?.offset), caPem);
}

/** A verdict as a person reads it: the parts, then notes, then problems. */
export function verdictText(file: string, v: ExportVerdict): string {
  const m = v.manifest;
  const lines = [
    m ? `${file}: camera ${m.camera} stream ${m.stream}, ${iso(m.fromMs)} – ${iso(m.toMs)}` : `${file}:`,
    ...v.parts.map(
      (p) =>
        `  ${iso(p.startMs)} – ${iso(p.endMs)}  recorded by ${p.server || '(no signed link)'}  (${p.segments} segments)`,
    ),
    ...v.notes.map((n) => `  note: ${n}`),
    ...v.problems.map((p) => `  PROBLEM: ${p}`),
    v.problems.length
      ? `${v.problems.length} problem(s): NOT verified`
      : 'verified: the export is what the servers recorded',
  ];
  return lines.join('\n');
}
