/**
 * JSON canonicalization (RFC 8785, JCS) for what a report signature covers:
 * the same report must serialize to the same bytes wherever it is checked,
 * whatever order its keys were written in. A small implementation instead
 * of the npm `canonicalize` package (one more dependency for ~20 lines):
 * RFC 8785 is defined on ECMAScript's own serialization, so
 * - strings and numbers are written by `JSON.stringify` (ES Number-to-String
 *   and ES string escaping, which RFC 8785 adopts, sections 3.2.2.2-3);
 * - object keys are sorted by UTF-16 code units (section 3.2.3), which is
 *   what JavaScript's default string comparison does;
 * - no whitespace.
 * Non-finite numbers and lone surrogates are refused (RFC 8785 section 3.2.2).
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue | undefined };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function str(s: string): string {
  if (LONE_SURROGATE.test(s)) throw new TypeError('canonical JSON: string with a lone surrogate');
  return JSON.stringify(s);
}

/** The RFC 8785 serialization of `value` (properties whose value is undefined are omitted, as JSON.stringify does). */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonical JSON: non-finite number');
    return JSON.stringify(value);
  }
  if (typeof value === 'string') return str(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
  return `{${keys.map((k) => `${str(k)}:${canonicalJson(value[k]!)}`).join(',')}}`;
}
