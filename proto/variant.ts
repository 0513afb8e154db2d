/**
 * Variant keys shared by node and coordinator: {chrom, pos, ref, alt}, their
 * canonical string `chrom-pos-ref-alt`, the parser of a variants FILE's
 * lines, and the one contig-alias rule (chr22 = 22, chrM = MT = M).
 * Keys are compared as written (no left-normalization of indels): a site
 * must be asked for as the VCF spells it.
 */
import { ProtoError } from './errors.js';

export interface VariantKey {
  readonly chrom: string;
  /** 1-based POS. */
  readonly pos: number;
  readonly ref: string;
  readonly alt: string;
}

/**
 * The contig-alias rule, in one place: a store holding `chr22` answers a
 * query for `22` and vice versa; `chrM`, `M` and `MT` are one contig.
 * Returns the comparison key (not a display name).
 */
export function normalizeContig(name: string): string {
  const bare = /^chr/i.test(name) ? name.slice(3) : name;
  const upper = bare.toUpperCase();
  if (upper === 'M' || upper === 'MT') return 'MT';
  // X, Y and numbered contigs compare case-insensitively; others as written.
  if (/^(?:[0-9]+|X|Y)$/.test(upper)) return upper.replace(/^0+(?=\d)/, '');
  return bare;
}

/** Canonical string `chrom-pos-ref-alt` (the form Beacon/gnomAD URLs use). */
/**
 * The slot order of a region's variants, a cross-party contract: position,
 * then REF, then ALT, by UTF-16 code unit (never locale). Keys of one
 * contig only (a region is one contig).
 */
export function compareVariantKeys(a: VariantKey, b: VariantKey): number {
  return a.pos - b.pos || (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0) || (a.alt < b.alt ? -1 : a.alt > b.alt ? 1 : 0);
}

export function variantKeyString(k: VariantKey): string {
  return `${k.chrom}-${k.pos}-${k.ref}-${k.alt}`;
}

/** Key for maps: alias-normalized contig, then pos, ref, alt. */
export function variantMatchKey(k: VariantKey): string {
  return `${normalizeContig(k.chrom)}\t${k.pos}\t${k.ref}\t${k.alt}`;
}

// REF: bases (IUPAC letters) ; ALT: bases, '*', or a symbolic <...> / breakend.
const REF_RE = /^[A-Za-z]+$/;
const ALT_RE = /^(?:[A-Za-z]+|\*|<[^<>\s]+>|[A-Za-z]*[[\]][^\s]+[[\]][A-Za-z]*|\.[A-Za-z]+|[A-Za-z]+\.)$/;
const POS_RE = /^[1-9][0-9]{0,9}$/;
const MAX_POS = 2 ** 31 - 1; // VCF POS is a signed 32-bit integer in BCF (htslib)

function build(chrom: string, pos: string, ref: string, alt: string, where: string): VariantKey {
  if (!chrom) throw new ProtoError('GENOFED_BAD_VARIANT', `${where}: empty contig name`);
  if (!POS_RE.test(pos) || Number(pos) > MAX_POS) throw new ProtoError('GENOFED_BAD_VARIANT', `${where}: position must be an integer from 1 to ${MAX_POS}`);
  if (!REF_RE.test(ref)) throw new ProtoError('GENOFED_BAD_VARIANT', `${where}: REF must be bases (A, C, G, T, N, ...)`);
  if (!ALT_RE.test(alt)) throw new ProtoError('GENOFED_BAD_VARIANT', `${where}: ALT must be bases, '*' or a symbolic allele like <DEL>`);
  return { chrom, pos: Number(pos), ref: ref.toUpperCase(), alt: alt.startsWith('<') ? alt : alt.toUpperCase() };
}

/**
 * Parse one variant: `CHR POS REF ALT` (whitespace or tabs), `CHR-POS-REF-ALT`
 * or `CHR:POS:REF:ALT`. Split from the right so contig names may contain
 * '-' or ':' (htslib allows both). `where` prefixes error messages.
 */
export function parseVariantKey(text: string, where = 'variant'): VariantKey {
  const s = text.trim();
  const fields = s.split(/\s+/);
  if (fields.length === 4) return build(fields[0]!, fields[1]!, fields[2]!, fields[3]!, where);
  if (fields.length === 1) {
    // ALT may be symbolic and contain ':' or '-' (<INS:ME:SVA>, <DUP:TANDEM>)
    const m = /^(.+)([-:])([0-9]+)\2([A-Za-z]+)\2(<[^<>]+>|[^-:]+)$/.exec(s);
    if (m) return build(m[1]!, m[3]!, m[4]!, m[5]!, where);
  }
  throw new ProtoError('GENOFED_BAD_VARIANT', `${where}: expected CHR POS REF ALT, CHR-POS-REF-ALT or CHR:POS:REF:ALT`);
}

/** A dbSNP rs id as a list names it: `rs` (any case) and digits, no leading zero. */
const RSID_RE = /^rs([1-9][0-9]{0,14})$/i;

/** True when a variants-file line names a dbSNP rs id (`rs1234`) rather than a key. */
export function isRsId(text: string): boolean {
  return RSID_RE.test(text.trim());
}

/** The canonical form of an rs id (`RS1234` -> `rs1234`: how VCF ID columns write them). */
export function parseRsId(text: string, where = 'rs id'): string {
  const m = RSID_RE.exec(text.trim());
  if (!m) throw new ProtoError('GENOFED_BAD_VARIANT', `${where}: expected a dbSNP rs id, rs followed by digits (rs1234)`);
  return `rs${m[1]}`;
}

/** One line of a variants file: a key, or a dbSNP rs id the node resolves to every ALT allele of its records. */
export type VariantListItem = { readonly kind: 'key'; readonly key: VariantKey } | { readonly kind: 'rsid'; readonly rsId: string };

function listLines(text: string, each: (line: string, where: string) => void, label: string): void {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    each(line, `${label} line ${i + 1}`);
  }
}

/**
 * Parse a variants FILE's text: one key per line; blank lines and lines
 * starting with '#' are skipped; errors name `label` and the line number.
 * An rs id line is refused here (a federated query names variants by key;
 * only the node resolves rs ids, see parseVariantItems).
 */
export function parseVariantList(text: string, label = 'variants'): VariantKey[] {
  const out: VariantKey[] = [];
  listLines(text, (line, where) => {
    if (isRsId(line)) throw new ProtoError('GENOFED_BAD_VARIANT', `${where}: an rs id is not accepted here; name the variant as CHR-POS-REF-ALT (genofed node query af resolves rs ids locally)`);
    out.push(parseVariantKey(line, where));
  }, label);
  return out;
}

/**
 * Parse a variants FILE whose lines are keys (as parseVariantList) or
 * dbSNP rs ids (`rs1234`, one per line), in file order.
 */
export function parseVariantItems(text: string, label = 'variants'): VariantListItem[] {
  const out: VariantListItem[] = [];
  listLines(text, (line, where) => {
    out.push(isRsId(line) ? { kind: 'rsid', rsId: parseRsId(line, where) } : { kind: 'key', key: parseVariantKey(line, where) });
  }, label);
  return out;
}

/**
 * A variant list as its readers need it: arrays of keys satisfy it, and so
 * does proto/convert/packed-key-list.ts PackedKeyList (the coordinator's
 * phase-1 union held as packed lines), which also hashes itself.
 */
export interface KeyList {
  readonly length: number;
  at(i: number): VariantKey | undefined;
  /** The list digest (proto/query.ts variantListDigestHex) when the list can compute it faster. */
  digestHex?(): string;
}
