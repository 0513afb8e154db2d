/**
 * Association at the node: the cases' and the controls' member sets
 * (disjoint here, or refused), and per listed variant each group's AC, AN
 * and genotype classes (hom_ref, het, hom_alt) from the store.
 */
import { association, ASSOCIATION_COUNTERS, type AssociationParams } from '../../proto/kinds/association.js';
import { parseRegions } from '../../proto/region.js';
import { variantMatchKey } from '../../proto/variant.js';
import { NodeError } from '../errors.js';
import { keysOf, type CountedNodeKind } from './kind.js';
import { cohortMembers, overlap } from './members.js';
import { slotCursor } from './slot-cursor.js';

const C = ASSOCIATION_COUNTERS.length;

export const kind: CountedNodeKind<AssociationParams> = {
  spec: association,

  async members(store, p) {
    const cases = await cohortMembers(store, p.cases);
    const controls = await cohortMembers(store, p.controls);
    // A person in both groups would be counted on both sides of the table.
    if (overlap(cases, controls)) throw new NodeError('GENOFED_QUERY_MALFORMED', 'query refused: the cases and the controls share patients at this site; they must be disjoint');
    return [cases, controls];
  },

  async count(store, p, _schema, variants) {
    const V = variants.length;
    const out = new Uint32Array(2 * V * C);
    if (p.region) {
      // A phase-1 union: one scan of the region, cases and controls (strata '0' and '1'), each row placed
      // as the scan finds it by a walk along the union (no key map, no row kept; as allele counts do).
      const next = slotCursor(variants);
      let blocks: number[] | undefined;
      await store.alleleCountsEach({ regions: parseRegions(p.region), groups: [p.cases, p.controls] }, (chrom, pos, ref, alt, c, strata) => {
        blocks ??= strata.map((s) => (s === '0' ? 0 : s === '1' ? 1 : -1));
        const i = next(chrom, pos, ref, alt);
        if (i === undefined) return;
        for (let s = 0; s < blocks.length; s++) {
          const block = blocks[s]!;
          if (block < 0) continue;
          const o = C * (block * V + i);
          const at = 7 * s; // ac an nhomalt homRef het homAlt missing
          out[o] = c[at]!;
          out[o + 1] = c[at + 1]!;
          out[o + 2] = c[at + 3]!;
          out[o + 3] = c[at + 4]!;
          out[o + 4] = c[at + 5]!;
        }
      });
      return out;
    }
    // A researcher's list: looked up.
    const slot = new Map<string, number>();
    for (let i = 0; i < V; i++) slot.set(variantMatchKey(variants.at(i)!), i);
    const scope = { variants: keysOf(variants) };
    // Cases and controls in one scan of the genotypes (stratum '0' and '1').
    for (const r of await store.alleleCounts({ ...scope, groups: [p.cases, p.controls] })) {
      const block = r.stratum === '0' ? 0 : r.stratum === '1' ? 1 : -1;
      const i = slot.get(variantMatchKey(r));
      if (i === undefined || block < 0) continue;
      const o = C * (block * V + i);
      out[o] = r.ac;
      out[o + 1] = r.an;
      out[o + 2] = r.homRef;
      out[o + 3] = r.het;
      out[o + 4] = r.homAlt;
    }
    return out;
  },
};
