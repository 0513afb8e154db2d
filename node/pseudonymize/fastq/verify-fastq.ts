/**
 * `verifyFastq`: machine-checked "stability" of a pseudonymized FASTQ (or
 * pair). The original(s) and output(s) are walked in step, streaming (a few
 * MiB whatever the size), and compared record by record:
 *
 * - parses: every file is 4-line FASTQ (ours: fastq-records.ts);
 * - record count equal, per file;
 * - sequences and qualities byte-identical and in order (SHA-256 over
 *   `seq\nqual\n` per file, and the first differing record number);
 * - name lines: every output name line is nothing but a pseudonym, the
 *   input's mate suffix and Casava `read:filtered:control`
 *   (`PSEUDONYMIZED_NAME_LINE`), every `+` line is bare;
 * - mates: both outputs name the same pseudonym at each record, with the
 *   mate numbers the inputs had;
 * - nothing of the original names left: the tokens of the original name
 *   lines (instrument, flowcell, run accession, barcodes: runs of at least 4
 *   characters with a letter, between `:` `#` `/` `.` `+` `=` `_` and
 *   whitespace) must not occur in the output's name lines. Sequence and
 *   quality lines are not searched: they are proven byte-identical to the
 *   original, and a barcode legitimately occurs in a read's sequence.
 *   Lower-case tokens are searched as substrings of the pseudonyms from 6
 *   characters on (a 6-character base32 string occurs in a random
 *   26-character pseudonym with probability ~2e-8), as whole tokens below;
 * - with the key: each name's pseudonym is the keyed pseudonym of the
 *   original base name, and re-pseudonymizing the original gives
 *   byte-identical decompressed output.
 *
 * Details give counts and record numbers, never a name or a sequence.
 */
import { createHash, type Hash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { NodeError } from '../../errors.js';
import type { CheckResult } from '../checks.js';
import { openAlignment, type AlignmentInput } from '../alignment/input.js';
import { Pseudonymizer } from '../pseudonym.js';
import type { SiteKey } from '../site-key.js';
import { FastqCursor, F_NAME, F_NAME_END, F_QUAL, F_QUAL_END, F_SEQ, F_SEQ_END } from './fastq-records.js';
import { parseReadName, PSEUDONYMIZED_NAME_LINE } from './read-name.js';
import { pseudonymizeFastqFiles } from './pseudonymize-fastq.js';

/** Options of verifyFastq (the CLI's --original/--original2/--pseudonymized/--pseudonymized2). */
export interface VerifyFastqOptions {
  original: string;
  original2?: string;
  pseudonymized: string;
  pseudonymized2?: string;
  /** With the key: exact pseudonyms and byte-identical re-pseudonymization. */
  key?: SiteKey;
  signal?: AbortSignal;
}

/** Distinct original tokens kept for the leftover search; beyond this the check says how many were searched. */
const MAX_TOKENS = 1 << 20;
/** From this length a lower-case token is also searched inside pseudonyms (see the module comment). */
const SUBSTRING_MIN = 6;
const TOKEN_MIN = 4;
const TOKEN_SPLIT = /[\s:#/.+=_]+/;

/** Per pair of (original, output) files: what the walk found. */
interface FileState {
  orig: FastqCursor;
  out: FastqCursor;
  origDigest: Hash;
  outDigest: Hash;
  firstDiff: number;
  badNameLines: number;
  firstBadName: number;
  badPlusLines: number;
}

/** Check a pseudonymized FASTQ (pair) against its original; never throws for content problems, only reports. */
export async function verifyFastq(options: VerifyFastqOptions): Promise<CheckResult[]> {
  const paired = options.original2 !== undefined || options.pseudonymized2 !== undefined;
  if (paired && (options.original2 === undefined || options.pseudonymized2 === undefined)) {
    return [{ name: 'inputs', ok: false, detail: '--original2 and --pseudonymized2 go together (paired FASTQ)' }];
  }
  const checks: CheckResult[] = [];
  const opened: AlignmentInput[] = [];
  try {
    const pairs: Array<[string, string]> = [[options.original, options.pseudonymized]];
    if (paired) pairs.push([options.original2!, options.pseudonymized2!]);
    const files: FileState[] = [];
    for (const [o, p] of pairs) {
      const oi = await openAlignment(o, options.signal);
      opened.push(oi);
      const pi = await openAlignment(p, options.signal);
      opened.push(pi);
      files.push({ orig: new FastqCursor(oi.chunks, oi.label), out: new FastqCursor(pi.chunks, pi.label), origDigest: createHash('sha256'), outDigest: createHash('sha256'), firstDiff: 0, badNameLines: 0, firstBadName: 0, badPlusLines: 0 });
    }
    await walk(files, options, checks);
  } finally {
    for (const o of opened) o.close();
  }
  if (options.key && checks.every((c) => c.ok)) checks.push(await determinism(options));
  return checks;
}

async function walk(files: FileState[], options: VerifyFastqOptions, checks: CheckResult[]): Promise<void> {
  const tokens = new Set<string>();
  let tokensCapped = false;
  const lowerTokenLengths = new Set<number>();
  let leftovers = 0;
  let firstLeftover = 0;
  let mateProblems = 0;
  let firstMateProblem = 0;
  let wrongPseudonyms = 0;
  let firstWrong = 0;
  // createHmac, not the rewrite's fast path (spot-pseudonyms.ts): the check must not share the code it checks.
  const names = options.key ? new Pseudonymizer(options.key, 'read') : undefined;
  const counts = files.map(() => ({ orig: 0, out: 0 }));
  let record = 0;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const has: boolean[] = [];
      for (const f of files) {
        has.push(await f.orig.fill(), await f.out.fill());
      }
      if (has.every((h) => !h)) break;
      if (!has.every((h) => h)) {
        // Count the rest of every file so the count check can say what differs.
        for (const [i, f] of files.entries()) {
          counts[i]!.orig = await countRest(f.orig);
          counts[i]!.out = await countRest(f.out);
        }
        break;
      }
      const n = Math.min(...files.flatMap((f) => [f.orig.available, f.out.available]));
      for (let k = 0; k < n; k++) {
        record++;
        let pseudonym = '';
        let mates = '';
        for (const [i, f] of files.entries()) {
          const ob = f.orig.batch.buf;
          const oo = f.orig.batch.offsets;
          const oa = f.orig.at;
          const pb = f.out.batch.buf;
          const po = f.out.batch.offsets;
          const pa = f.out.at;
          // Sequence and quality.
          const seqQual = (b: Buffer, o: Int32Array, a: number, h: Hash): [Buffer, Buffer] => {
            const s = b.subarray(o[a + F_SEQ]!, o[a + F_SEQ_END]!);
            const q = b.subarray(o[a + F_QUAL]!, o[a + F_QUAL_END]!);
            h.update(s).update('\n').update(q).update('\n');
            return [s, q];
          };
          const [os, oq] = seqQual(ob, oo, oa, f.origDigest);
          const [ps, pq] = seqQual(pb, po, pa, f.outDigest);
          if (f.firstDiff === 0 && (!os.equals(ps) || !oq.equals(pq))) f.firstDiff = record;
          if (po[pa + F_QUAL]! - po[pa + F_SEQ_END]! !== 3) f.badPlusLines++;
          // Name line grammar.
          const line = pb.toString('latin1', po[pa + F_NAME]!, po[pa + F_NAME_END]!);
          const m = PSEUDONYMIZED_NAME_LINE.exec(line);
          const origName = parseReadName(ob, oo[oa + F_NAME]!, oo[oa + F_NAME_END]!);
          if (!m || !origName) {
            f.badNameLines++;
            if (!f.firstBadName) f.firstBadName = record;
          } else {
            if (i === 0) {
              pseudonym = m[1]!;
              const base = ob.subarray(origName.baseStart, origName.baseEnd);
              if (names && names.pseudonymOfBytes(base) !== pseudonym) {
                wrongPseudonyms++;
                if (!firstWrong) firstWrong = record;
              }
            }
            // Mates: same pseudonym as the first file, same mate number as the original.
            const mate = Number(m[3] ?? m[4] ?? 0);
            if ((i > 0 && m[1] !== pseudonym) || mate !== origName.mate || (mate !== 0 && mates.includes(String(mate)))) {
              mateProblems++;
              if (!firstMateProblem) firstMateProblem = record;
            }
            if (mate) mates += String(mate);
          }
          // Tokens of the original name line (the + line may repeat the name).
          const origText = ob.toString('latin1', oo[oa + F_NAME]! + 1, oo[oa + F_NAME_END]!) + ' ' + ob.toString('latin1', oo[oa + F_SEQ_END]! + 1, oo[oa + F_QUAL]!).replace(/^\r?\n?\+/, '');
          for (const t of origText.split(TOKEN_SPLIT)) {
            if (t.length < TOKEN_MIN || !/[A-Za-z]/.test(t) || tokens.has(t)) continue;
            if (tokens.size >= MAX_TOKENS) { tokensCapped = true; continue; }
            tokens.add(t);
            if (t.length >= SUBSTRING_MIN && /^[a-z2-7]+$/.test(t)) lowerTokenLengths.add(t.length);
          }
          const plusLine = pb.toString('latin1', po[pa + F_SEQ_END]! + 1, po[pa + F_QUAL]!);
          if (leftoverIn(line, tokens, lowerTokenLengths) || leftoverIn(plusLine, tokens, lowerTokenLengths)) {
            leftovers++;
            if (!firstLeftover) firstLeftover = record;
          }
          f.orig.next++;
          f.out.next++;
          counts[i]!.orig++;
          counts[i]!.out++;
        }
      }
    }
  } catch (err) {
    // Our errors name basename and record; anything else (an fs error) may carry a full path: only its code.
    checks.push({ name: 'parses', ok: false, detail: err instanceof NodeError ? err.message : `unreadable (${(err as { code?: string }).code ?? 'error'})` });
    return;
  }
  checks.push({ name: 'parses', ok: true, detail: `${files.length * 2} files, 4-line FASTQ` });
  const countOk = counts.every((c) => c.orig === c.out);
  checks.push({ name: 'record count', ok: countOk, detail: counts.map((c, i) => `${files[i]!.out.label}: ${c.out} of ${c.orig}`).join('; ') });
  if (files.length === 2) {
    const sameAcross = counts[0]!.orig === counts[1]!.orig;
    if (!sameAcross) checks.push({ name: 'mates in step', ok: false, detail: `the original files hold ${counts[0]!.orig} and ${counts[1]!.orig} records` });
  }
  for (const f of files) {
    const a = f.origDigest.digest('hex');
    const b = f.outDigest.digest('hex');
    checks.push({
      name: `sequences and qualities (${f.out.label})`,
      ok: countOk && f.firstDiff === 0 && a === b,
      detail: f.firstDiff ? `first difference at record ${f.firstDiff}` : `sha256 ${b.slice(0, 16)}... ${a === b ? 'equal' : 'differs from the original'}`,
    });
    checks.push({ name: `name lines (${f.out.label})`, ok: f.badNameLines === 0 && f.badPlusLines === 0, detail: f.badNameLines || f.badPlusLines ? `${f.badNameLines} name lines not a bare pseudonym${f.firstBadName ? ` (first at record ${f.firstBadName})` : ''}, ${f.badPlusLines} '+' lines not bare` : 'pseudonym, mate suffix and Casava flags only; bare + lines' });
  }
  checks.push({ name: files.length === 2 ? 'mates pair' : 'mate numbers', ok: mateProblems === 0, detail: mateProblems ? `${mateProblems} records (first at record ${firstMateProblem})` : files.length === 2 ? 'same pseudonym for both mates, mate numbers as in the input' : 'as in the input' });
  checks.push({ name: 'no original name token left', ok: leftovers === 0, detail: `${tokens.size} distinct tokens of the original names searched in the output name lines${tokensCapped ? ' (capped)' : ''}${leftovers ? `; ${leftovers} records hold one (first at record ${firstLeftover})` : ''}` });
  if (options.key) checks.push({ name: 'keyed pseudonyms', ok: wrongPseudonyms === 0, detail: wrongPseudonyms ? `${wrongPseudonyms} names are not the keyed pseudonym of the original (first at record ${firstWrong})` : `key ${options.key.keyId} v${options.key.version}` });
}

/** Does an output name line hold a token of the original names? */
function leftoverIn(line: string, tokens: ReadonlySet<string>, lowerLengths: ReadonlySet<number>): boolean {
  for (const t of line.slice(1).split(TOKEN_SPLIT)) {
    if (tokens.has(t)) return true;
    for (const len of lowerLengths) {
      for (let i = 0; i + len <= t.length; i++) if (tokens.has(t.slice(i, i + len))) return true;
    }
  }
  return false;
}

async function countRest(c: FastqCursor): Promise<number> {
  let n = 0;
  try {
    while (await c.fill()) {
      n += c.available;
      c.next = c.batch.count;
    }
  } catch {
    // The parse error is reported by the walk; the count stays what was readable.
  }
  return c.parser.recordCount;
}

/** Re-pseudonymize the original(s) with the key into a private temporary folder and compare the decompressed bytes. */
async function determinism(options: VerifyFastqOptions): Promise<CheckResult> {
  const dir = await mkdtemp(join(tmpdir(), 'genofed-verify-fastq-'));
  try {
    const again1 = join(dir, 'again1.fastq.gz');
    const again2 = options.original2 !== undefined ? join(dir, 'again2.fastq.gz') : undefined;
    await pseudonymizeFastqFiles({ input: options.original, input2: options.original2, output: again1, output2: again2, key: options.key!, signal: options.signal });
    const pairs: Array<[string, string]> = [[options.pseudonymized, again1]];
    if (again2) pairs.push([options.pseudonymized2!, again2]);
    for (const [given, again] of pairs) {
      if ((await decompressedDigest(given, options.signal)) !== (await decompressedDigest(again, options.signal))) {
        return { name: 'deterministic with the key', ok: false, detail: `${basename(given)}: re-pseudonymizing the original gives different bytes` };
      }
    }
    return { name: 'deterministic with the key', ok: true, detail: 're-pseudonymizing gives byte-identical decompressed output' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function decompressedDigest(path: string, signal?: AbortSignal): Promise<string> {
  const input = await openAlignment(path, signal);
  const h = createHash('sha256');
  try {
    for await (const c of input.chunks) h.update(c);
  } finally {
    input.close();
  }
  return h.digest('hex');
}
