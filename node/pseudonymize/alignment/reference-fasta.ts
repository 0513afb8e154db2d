/**
 * The reference FASTA of `--sanitize --reference REF.fa`: its `.fai` (read
 * when present, as `samtools faidx` writes it; otherwise built by one
 * streaming pass over the FASTA, nothing written next to the hospital's
 * file) and one contig at a time, upper-cased (soft-masked lower case is
 * still the reference base; BAM SEQ has no lower case).
 *
 * Parsing (`parseFai`, `FaiBuilder`, `contigFromFasta`) is pure; only
 * `ReferenceFasta` opens the file. Messages name the FASTA by basename and
 * the contig by name (a contig name is not patient data), never a sequence.
 */
import { createReadStream } from 'node:fs';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { NodeError } from '../../errors.js';
import { withOperatorPath } from '../../../proto/operator-path.js';

/** One `.fai` line: name, length, byte offset of the first base, bases and bytes per line. */
export interface FaiEntry {
  readonly name: string;
  readonly length: number;
  readonly offset: number;
  readonly lineBases: number;
  readonly lineBytes: number;
}

const refError = (label: string, what: string): NodeError => new NodeError('GENOFED_REFERENCE', `${label}: ${what}`);

/** Parse `.fai` text (5 tab-separated columns per line; a FASTQ index has 6 and is refused). */
export function parseFai(text: string, label: string): FaiEntry[] {
  const out: FaiEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (!line) continue;
    const f = line.split('\t');
    const nums = f.slice(1).map(Number);
    if (f.length !== 5 || !f[0] || nums.some((n) => !Number.isSafeInteger(n) || n < 0) || nums[2]! < 1 || nums[3]! < nums[2]!) {
      throw refError(label, `line ${i + 1} is not a FASTA index line (name, length, offset, line bases, line bytes)`);
    }
    out.push({ name: f[0], length: nums[0]!, offset: nums[1]!, lineBases: nums[2]!, lineBytes: nums[3]! });
  }
  return out;
}

/**
 * Build the index while streaming the FASTA (what `samtools faidx` does):
 * feed chunks, then `finish()`. Lines of a contig must share one length
 * except the last, as faidx requires.
 */
export class FaiBuilder {
  private readonly entries: FaiEntry[] = [];
  private offset = 0; // bytes consumed so far
  private line = 1;
  private name: string | null = null;
  private nameBytes: number[] = [];
  private inName = false;
  private atLineStart = true;
  private seqStart = 0;
  private length = 0;
  private lineBases = 0;
  private lineBytes = 0;
  private curBases = 0;
  private curBytes = 0;
  private shortLineSeen = false;
  private seenAny = false;

  constructor(private readonly label: string) {}

  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      const here = this.offset + i;
      if (this.inName) {
        if (c === 10) {
          this.name = Buffer.from(this.nameBytes).toString('latin1').replace(/\r$/, '').split(/[ \t]/)[0]!;
          if (!this.name) throw refError(this.label, `line ${this.line}: a '>' line without a contig name`);
          this.inName = false; this.atLineStart = true; this.line++;
          this.seqStart = here + 1;
        } else this.nameBytes.push(c);
        continue;
      }
      if (this.atLineStart && c === 0x3e) { // '>'
        this.endContig();
        this.inName = true; this.nameBytes = []; this.seenAny = true;
        continue;
      }
      if (this.atLineStart && !this.seenAny && c !== 10 && c !== 13) throw refError(this.label, 'not a FASTA file (the first line does not start with >)');
      this.atLineStart = false;
      if (c === 10) {
        this.curBytes++;
        this.endLine();
        this.atLineStart = true; this.line++;
      } else if (c === 13) this.curBytes++;
      else { this.curBases++; this.curBytes++; }
    }
    this.offset += chunk.length;
  }

  private endLine(): void {
    if (this.curBases === 0) { this.curBytes = 0; return; } // blank line: samtools faidx allows them only at the end of a contig
    if (this.shortLineSeen) throw refError(this.label, `line ${this.line}: contig ${this.name ?? '?'} has lines of different lengths; index it with samtools faidx to see which`);
    if (this.lineBases === 0) { this.lineBases = this.curBases; this.lineBytes = this.curBytes; }
    else if (this.curBases !== this.lineBases || this.curBytes !== this.lineBytes) {
      if (this.curBases > this.lineBases) throw refError(this.label, `line ${this.line}: contig ${this.name ?? '?'} has lines of different lengths`);
      this.shortLineSeen = true;
    }
    this.length += this.curBases;
    this.curBases = 0; this.curBytes = 0;
  }

  private endContig(): void {
    if (this.curBases > 0) { this.curBytes = this.lineBytes || this.curBases; this.endLine(); }
    if (this.name !== null) {
      this.entries.push({ name: this.name, length: this.length, offset: this.seqStart, lineBases: this.lineBases || 1, lineBytes: this.lineBytes || 1 });
    }
    this.name = null; this.length = 0; this.lineBases = 0; this.lineBytes = 0; this.shortLineSeen = false;
  }

  finish(): FaiEntry[] {
    if (this.inName) throw refError(this.label, 'ends inside a > line');
    this.endContig();
    if (this.entries.length === 0) throw refError(this.label, 'not a FASTA file (no > line)');
    return this.entries;
  }
}

/** Upper-case IUPAC letters kept, lower case raised, anything else ('-', '*', '.', '=') N: what BAM SEQ can hold. */
const BASE = (() => {
  const t = new Uint8Array(256).fill(0x4e);
  for (const c of 'ACMGRSVTWYHKDBN') { t[c.charCodeAt(0)] = c.charCodeAt(0); t[c.toLowerCase().charCodeAt(0)] = c.charCodeAt(0); }
  return t;
})();

/**
 * The bases of one contig from the raw bytes starting at its first base
 * (line breaks removed, upper-cased, non-IUPAC characters as N). Null when the bytes do not hold
 * `entry.length` bases where the index says (an index of another file).
 */
export function contigFromFasta(raw: Uint8Array, entry: FaiEntry): Buffer | null {
  const out = Buffer.allocUnsafe(entry.length);
  let k = 0;
  for (let i = 0; i < raw.length && k < entry.length; i++) {
    const c = raw[i]!;
    if (c === 10 || c === 13) continue;
    if (c === 0x3e) return null;
    out[k++] = BASE[c]!;
  }
  return k === entry.length ? out : null;
}

/** Contigs kept in memory together: 1 GiB holds chr1 (249 Mbp) and the next ones of a sorted BAM; a BAM sorted by name reloads. */
const CACHE_BYTES = 1 << 30;

/** A reference FASTA opened for per-contig reads. */
export class ReferenceFasta {
  private readonly byName: Map<string, FaiEntry>;
  private readonly cache = new Map<string, Buffer>();
  private cached = 0;

  private constructor(readonly label: string, private readonly fh: FileHandle, entries: FaiEntry[]) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  /** Open `path`, with `path.fai` when it exists (else index it in memory). Compressed FASTA is refused. */
  static async open(path: string): Promise<ReferenceFasta> {
    const label = basename(path);
    const fh = await open(path, 'r').catch((cause: unknown) => {
      throw withOperatorPath(new NodeError('GENOFED_INPUT_NOT_FOUND', `${label}: cannot open the reference FASTA`, { cause }), path);
    });
    try {
      const head = Buffer.alloc(2);
      await fh.read(head, 0, 2, 0);
      if (head[0] === 0x1f && head[1] === 0x8b) throw refError(label, 'compressed FASTA is not read; decompress it (gzip -dc) and index it with samtools faidx');
      const faiText = await readFile(`${path}.fai`, 'latin1').catch(() => null);
      let entries: FaiEntry[];
      if (faiText !== null) entries = parseFai(faiText, `${label}.fai`);
      else {
        const builder = new FaiBuilder(label);
        for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) builder.push(chunk as Buffer);
        entries = builder.finish();
      }
      const size = (await stat(path)).size;
      for (const e of entries) {
        const end = e.offset + Math.floor(e.length / e.lineBases) * e.lineBytes + (e.length % e.lineBases);
        if (end > size) throw refError(label, `the index says contig ${e.name} ends after the end of the file: the .fai belongs to another FASTA`);
      }
      return new ReferenceFasta(label, fh, entries);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The contig's bases (upper case), read once and cached; a contig the FASTA lacks is an error naming it. */
  async contig(name: string): Promise<Buffer> {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const e = this.byName.get(name);
    if (!e) throw refError(this.label, `has no contig named ${name}, which the alignment file uses: give the reference the reads were aligned to`);
    const rawLength = Math.ceil(e.length / e.lineBases) * e.lineBytes;
    const raw = Buffer.allocUnsafe(rawLength);
    const { bytesRead } = await this.fh.read(raw, 0, rawLength, e.offset);
    const seq = contigFromFasta(raw.subarray(0, bytesRead), e);
    if (!seq) throw refError(this.label, `contig ${name} does not have the bases its index says where it says: re-index it with samtools faidx`);
    while (this.cached + seq.length > CACHE_BYTES && this.cache.size > 0) {
      const [oldest, buf] = this.cache.entries().next().value as [string, Buffer];
      this.cache.delete(oldest);
      this.cached -= buf.length;
    }
    this.cache.set(name, seq);
    this.cached += seq.length;
    return seq;
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.fh.close();
  }
}
