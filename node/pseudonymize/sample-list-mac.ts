/**
 * How ingest knows a VCF's sample names are this site's pseudonyms
 * (README, "How ingest knows"). `pseudonymize vcf` writes, just before the
 * `#CHROM` line,
 *
 *   ##genofed_pseudonyms=<keyId>:<hex>
 *   hex = HMAC-SHA256(subkey, u32be(keyVersion) || names joined by TAB)
 *   subkey = HMAC-SHA256(secret, "genofed sample-list mac v1")
 *
 * over the pseudonymized `#CHROM` sample names in column order. A raw id
 * fails the pseudonym pattern; a file pseudonymized under another site key
 * names another key id; one whose names were edited, re-ordered or made
 * under another key version fails the MAC. The subkey keeps the MAC apart
 * from the pseudonyms (both are HMACs under the same secret), and the key
 * version is in the message because pseudonyms depend on it while the key
 * id does not. The line carries no id and reveals nothing without the key.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { PSEUDONYM_PATTERN } from './pseudonym.js';
import type { SiteKey } from './site-key.js';

/** The meta key of the line (`##genofed_pseudonyms=...`). */
export const PSEUDONYMS_META_KEY = 'genofed_pseudonyms';
const SUBKEY_LABEL = 'genofed sample-list mac v1';
const LINE = /^##genofed_pseudonyms=(gk-[0-9a-f]{16}):([0-9a-f]{64})$/;

/** HMAC (hex) over the canonical sample list (names joined by TAB) under the site key's sample-list subkey. */
export function sampleListMac(key: SiteKey, samples: readonly string[]): string {
  const subkey = createHmac('sha256', key.secret).update(SUBKEY_LABEL, 'utf8').digest();
  const version = Buffer.alloc(4);
  version.writeUInt32BE(key.version >>> 0, 0);
  return createHmac('sha256', subkey).update(version).update(samples.join('\t'), 'utf8').digest('hex');
}

/** The header line `pseudonymize vcf` writes before `#CHROM` (no newline). */
export function pseudonymsMetaLine(key: SiteKey, samples: readonly string[]): string {
  return `##${PSEUDONYMS_META_KEY}=${key.keyId}:${sampleListMac(key, samples)}`;
}

/** `{ keyId, mac }` of a well-formed line, null for anything else. */
export function parsePseudonymsMetaLine(line: string): { keyId: string; mac: string } | null {
  const m = LINE.exec(line);
  return m ? { keyId: m[1]!, mac: m[2]! } : null;
}

/** Is this a `##genofed_pseudonyms` line (well-formed or not)? */
export function isPseudonymsMetaLine(line: string): boolean {
  return line.startsWith(`##${PSEUDONYMS_META_KEY}=`);
}

/** Constant-time comparison of the line's MAC with the key's MAC over `samples`. */
export function sampleListMacVerifies(key: SiteKey, samples: readonly string[], mac: string): boolean {
  const want = Buffer.from(sampleListMac(key, samples), 'hex');
  const got = Buffer.from(mac, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * Why a VCF header does not prove its samples are this site's pseudonyms,
 * or null when it does. `key` undefined: the names must look like
 * pseudonyms and one well-formed line must be present (its MAC cannot be
 * checked). A file without samples needs nothing. The problem text holds
 * counts and key ids only, never a name.
 */
export function pseudonymizedSamplesProblem(headerLines: readonly string[], samples: readonly string[], key: SiteKey | undefined): string | null {
  if (samples.length === 0) return null;
  const raw = samples.filter((s) => !PSEUDONYM_PATTERN.test(s)).length;
  if (raw > 0) return `${raw} of ${samples.length} sample names are not genofed pseudonyms`;
  const lines = headerLines.filter(isPseudonymsMetaLine);
  if (lines.length === 0) return `no ##${PSEUDONYMS_META_KEY} line: the file was not written by genofed pseudonymize vcf`;
  if (lines.length > 1) return `${lines.length} ##${PSEUDONYMS_META_KEY} lines (one expected)`;
  const parsed = parsePseudonymsMetaLine(lines[0]!);
  if (!parsed) return `malformed ##${PSEUDONYMS_META_KEY} line`;
  if (!key) return null;
  if (parsed.keyId !== key.keyId) return `pseudonymized under site key ${parsed.keyId}, not this site's key ${key.keyId}`;
  if (!sampleListMacVerifies(key, samples, parsed.mac)) return `the ##${PSEUDONYMS_META_KEY} MAC does not verify over the sample names (names changed or re-ordered after pseudonymization, or another key version)`;
  return null;
}
