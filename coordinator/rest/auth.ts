/**
 * Bearer-token authentication for the researcher API. Tokens are kept only
 * as SHA-256 digests and compared with `timingSafeEqual` on equal-length
 * digests, so neither the comparison time nor a heap dump gives a token away.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface HashedToken {
  readonly digest: Buffer;
  readonly querier: string;
}

/** Why: digests have a fixed length (32 bytes), which timingSafeEqual needs. */
export function hashTokens(tokens: ReadonlyMap<string, string>): readonly HashedToken[] {
  const out: HashedToken[] = [];
  for (const [token, querier] of tokens) {
    if (token.length < 16) throw new RangeError(`token of querier '${querier}' is shorter than 16 characters`);
    out.push({ digest: sha256(token), querier });
  }
  return out;
}

/**
 * The querier a `Authorization` header value authenticates, or null.
 * Every known token is compared (no early exit), so the time taken does not
 * tell which entry matched; with a handful of queriers that costs < 1 us.
 */
export function authenticate(header: string | undefined, tokens: readonly HashedToken[]): string | null {
  if (!header) return null;
  const m = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(header);
  if (!m) return null;
  const presented = sha256(m[1]!);
  let found: string | null = null;
  for (const t of tokens) {
    if (timingSafeEqual(presented, t.digest) && found === null) found = t.querier;
  }
  return found;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
