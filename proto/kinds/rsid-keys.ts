/**
 * `rsid-keys`: the lookup before a query over a researcher's list that
 * names variants by dbSNP rs id. Each site lists the keys (every ALT
 * allele) its records carry for those ids, each with the id it resolved
 * (VariantKey.id), and no counts; the coordinator forms, per id, the
 * union over the sites. Revealed to the coordinator only, as phase 1 of a
 * region query reveals a region's keys (THREAT-MODEL.md).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ProtoError } from '../errors.js';
import type { QueryParams } from '../query.js';
import { LISTING_SPEC, parseWith, type QueryKindSpec } from './kind.js';

/** Most rs ids one lookup carries (they travel in the signed envelope). */
export const MAX_RS_IDS = 10_000;

export interface RsIdKeysParams extends QueryParams {
  readonly kind: 'rsid-keys';
  /** Canonical (`rs1234`), distinct, in the researcher's order. */
  readonly rsIds: readonly string[];
}

const schema = z.strictObject({ kind: z.literal('rsid-keys'), rsIds: z.array(z.string().regex(/^rs[1-9][0-9]{0,11}$/, 'an rs id: rs followed by digits')).min(1).max(MAX_RS_IDS) });

export const rsIdKeys: QueryKindSpec<RsIdKeysParams> = {
  kind: 'rsid-keys',
  parse: (raw) => parseWith(schema, raw, 'rsid-keys'),
  ...LISTING_SPEC,
  region: () => undefined,
  // The audit log keeps how many ids and their digest, as it does for variant lists.
  audit: (p) => ({ rsIdCount: p.rsIds.length, rsIdsSha256: createHash('sha256').update(p.rsIds.join('\n')).digest('hex') }),
  check(p) {
    if (new Set(p.rsIds).size !== p.rsIds.length) throw new ProtoError('GENOFED_BAD_MESSAGE', 'rsid-keys: an rs id is listed twice');
  },
};
