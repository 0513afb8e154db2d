/** Phase 1 at the node: the store's variant keys in the signed region. */
import { variantKeys, type VariantKeysParams } from '../../proto/kinds/variant-keys.js';
import { parseRegions } from '../../proto/region.js';
import type { ListingNodeKind } from './kind.js';

export const kind: ListingNodeKind<VariantKeysParams> = {
  spec: variantKeys,
  keys: (store, p) => store.variantKeyList(parseRegions(p.region)),
};
