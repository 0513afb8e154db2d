/**
 * Canonical JSON for hashing audit entries: object keys sorted by UTF-16
 * code unit, no whitespace, numbers and strings as JSON.stringify writes
 * them (the same rules as RFC 8785 for the values we store: integers,
 * short decimals, ASCII/UTF-8 strings). Two processes that hold the same
 * entry produce the same bytes, so the hash chain does not depend on the
 * key order an object happened to be built in.
 */

export type CanonicalValue = null | boolean | number | string | readonly CanonicalValue[] | { readonly [key: string]: CanonicalValue | undefined };

/** Serialize canonically; throws TypeError on non-finite numbers or non-JSON values (a bug, not input). */
export function canonicalJson(value: CanonicalValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON: non-finite number');
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${(value as readonly CanonicalValue[]).map(canonicalJson).join(',')}]`;
      const obj = value as { readonly [key: string]: CanonicalValue | undefined };
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k]!)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON: unsupported ${typeof value}`);
  }
}
