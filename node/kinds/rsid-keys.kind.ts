/** The rs-id lookup at the node: the keys of the store's records carrying each signed rs id, each with its id. */
import { rsIdKeys, type RsIdKeysParams } from '../../proto/kinds/rsid-keys.js';
import type { ListingNodeKind } from './kind.js';

export const kind: ListingNodeKind<RsIdKeysParams> = {
  spec: rsIdKeys,
  async keys(store, p) {
    const found = await store.resolveRsIds(p.rsIds);
    return p.rsIds.flatMap((id) => (found.get(id) ?? []).map((k) => ({ chrom: k.chrom, pos: k.pos, ref: k.ref, alt: k.alt, id })));
  },
};
