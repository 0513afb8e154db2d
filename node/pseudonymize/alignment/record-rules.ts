/**
 * What happens to each record: the read name is replaced by its keyed
 * pseudonym (idType 'read': mates, secondary and supplementary records share
 * a QNAME, so they share the pseudonym by construction), RG:Z and LB:Z
 * values by the same pseudonyms as the header's @RG ID and LB, and these
 * aux tags are dropped:
 *
 * - default: BC, QT (sample barcode and its qualities), RX, QX, OX, BZ (raw
 *   and original UMIs and their qualities), CR, CY (raw cell barcode and
 *   qualities), PU (platform unit, dropped from @RG too), CO (free-text
 *   comment, the record-level @CO);
 * - strict, in addition: OQ, OA, OC, OP (original qualities/alignment kept
 *   by re-processing tools), XA, SA (alternative and supplementary
 *   alignments: dropping SA breaks the link between the parts of a chimeric
 *   read, hence strict only) and PG (strict drops the @PG lines it names).
 *
 * Everything else (CB, MI, NM, MD, AS, NH, HI, MC, ...) is kept byte for byte,
 * except with --sanitize: SANITIZE_DROPPED_TAGS (sanitize.ts: tags that carry
 * the original sequence or alignment) are dropped too, and NM/MD recomputed.
 */
import { Pseudonymizer } from '../pseudonym.js';
import type { SiteKey } from '../site-key.js';
import type { MapCollector } from '../reid-map.js';
import { ReadNamePseudonyms } from './read-names.js';
import { SANITIZE_DROPPED_TAGS, SANITIZE_RECOMPUTED_TAGS } from './sanitize.js';
import type { AlignmentMode } from './types.js';

/** Aux tags dropped in every mode (see the module comment for why each). */
export const DROPPED_TAGS_DEFAULT = ['BC', 'QT', 'RX', 'QX', 'OX', 'BZ', 'CR', 'CY', 'PU', 'CO'] as const;
/** Aux tags dropped in strict mode in addition. */
export const DROPPED_TAGS_STRICT_EXTRA = ['OQ', 'OA', 'OC', 'OP', 'XA', 'SA', 'PG'] as const;

/** The tags a mode drops, for the report, docs and verify. */
export function droppedTags(mode: AlignmentMode): string[] {
  return mode === 'strict' ? [...DROPPED_TAGS_DEFAULT, ...DROPPED_TAGS_STRICT_EXTRA] : [...DROPPED_TAGS_DEFAULT];
}

/** Per-tag actions in RecordRules.action: copy, drop, rewrite as read group, rewrite as library. */
export const TAG_KEEP = 0;
export const TAG_DROP = 1;
export const TAG_RG = 2;
export const TAG_LB = 3;
/** --sanitize: NM and MD are left out where they stand and rewritten after the aux fields (not counted as dropped). */
export const TAG_RECOMPUTE = 4;

/** A two-letter tag as the 16-bit index of the action table. */
export const tagCode = (tag: string): number => (tag.charCodeAt(0) << 8) | tag.charCodeAt(1);

/** Per-run state: pseudonymizers, id caches, the tag action table, counters. */
export class RecordRules {
  /** Action per 16-bit tag code (first char << 8 | second char): one array read per aux field. */
  readonly action = new Uint8Array(65536);
  readonly names: ReadNamePseudonyms;
  private readonly readGroupP: Pseudonymizer;
  private readonly sampleP: Pseudonymizer;
  private readonly libraryP: Pseudonymizer;
  private readonly rgCache = new Map<string, string>();
  private readonly lbCache = new Map<string, string>();
  private readonly declared = new Set<string>();
  readonly tagsDropped = new Map<number, number>();
  undeclaredReadGroups = 0;

  constructor(key: SiteKey, readonly mode: AlignmentMode, private readonly map?: MapCollector, sanitize = false) {
    this.names = new ReadNamePseudonyms(key);
    this.readGroupP = new Pseudonymizer(key, 'readgroup');
    this.sampleP = new Pseudonymizer(key, 'sample');
    this.libraryP = new Pseudonymizer(key, 'library');
    for (const t of droppedTags(mode)) this.action[tagCode(t)] = TAG_DROP;
    if (sanitize) {
      for (const t of SANITIZE_DROPPED_TAGS) this.action[tagCode(t)] = TAG_DROP;
      for (const t of SANITIZE_RECOMPUTED_TAGS) this.action[tagCode(t)] = TAG_RECOMPUTE;
    }
    this.action[tagCode('RG')] = TAG_RG;
    this.action[tagCode('LB')] = TAG_LB;
  }

  /** @RG ID from the header: remembered as declared. */
  headerReadGroup = (id: string): string => {
    this.declared.add(id);
    return this.readGroup(id);
  };

  /** RG:Z value of a record (or header ID). */
  readGroup(id: string): string {
    let p = this.rgCache.get(id);
    if (p === undefined) {
      p = this.readGroupP.pseudonym(id);
      this.rgCache.set(id, p);
      this.map?.add('readgroup', id, p);
      if (!this.declared.has(id)) this.undeclaredReadGroups++;
    }
    return p;
  }

  sample = (id: string): string => {
    const p = this.sampleP.pseudonym(id);
    this.map?.add('sample', id, p);
    return p;
  };

  library = (id: string): string => {
    let p = this.lbCache.get(id);
    if (p === undefined) {
      p = this.libraryP.pseudonym(id);
      this.lbCache.set(id, p);
      this.map?.add('library', id, p);
    }
    return p;
  };

  get readGroupsRewritten(): number {
    return this.rgCache.size;
  }

  countDrop(code: number): void {
    this.tagsDropped.set(code, (this.tagsDropped.get(code) ?? 0) + 1);
  }

  /** Wipe derived key material once the run is over. */
  dispose(): void {
    this.names.dispose();
  }

  droppedByName(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [code, n] of [...this.tagsDropped].sort((a, b) => a[0] - b[0])) out[String.fromCharCode(code >> 8, code & 0xff)] = n;
    return out;
  }
}
