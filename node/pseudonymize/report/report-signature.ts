/**
 * The signature of a verification report: HMAC-SHA256 under a key derived
 * from the site key, over the RFC 8785 canonical JSON of the report without
 * the signature's `value`. HMAC rather than an Ed25519 site signing key
 * because the site key already exists and is already guarded (0600, never
 * leaves the site); the party that checks a report is the site's own data
 * review board, which can be given the key or run the check on the key's
 * host. A board outside the site would need a public key: that is the
 * Ed25519 variant the issue also allows, not built here.
 *
 * The report key is HKDF-SHA256(ikm = secret, salt = u32be(keyVersion),
 * info = "genofed verification-report v1"), as the re-identification map's
 * key is derived: the pseudonym HMAC key is never used directly, so a
 * report MAC can never equal a pseudonym of any input.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { SiteKey } from '../site-key.js';
import { canonicalJson, type JsonValue } from './canonical-json.js';

export const REPORT_HKDF_INFO = 'genofed verification-report v1';
export const SIGNATURE_ALGORITHM = 'HMAC-SHA256';
export const CANONICALIZATION = 'RFC 8785';

/** What a signed report carries in `signature` (all printable: the secret never is). */
export interface ReportSignature {
  algorithm: typeof SIGNATURE_ALGORITHM;
  keyDerivation: string;
  canonicalization: typeof CANONICALIZATION;
  keyId: string;
  keyVersion: number;
  /** Lower-case hex HMAC; empty while being computed. */
  value: string;
}

function reportKey(key: SiteKey): Buffer {
  const salt = Buffer.alloc(4);
  salt.writeUInt32BE(key.version);
  return Buffer.from(hkdfSync('sha256', key.secret, salt, REPORT_HKDF_INFO, 32));
}

/** The signature's fixed fields for `key` (value still empty). */
export function signatureHeader(key: SiteKey): ReportSignature {
  return {
    algorithm: SIGNATURE_ALGORITHM,
    keyDerivation: `HKDF-SHA256(site key, salt u32be(keyVersion), info "${REPORT_HKDF_INFO}")`,
    canonicalization: CANONICALIZATION,
    keyId: key.keyId,
    keyVersion: key.version,
    value: '',
  };
}

/** The bytes the MAC covers: the report with `signature.value` emptied, canonicalized. */
function signedBytes(report: { signature: ReportSignature } & Record<string, unknown>): string {
  return canonicalJson({ ...report, signature: { ...report.signature, value: '' } } as unknown as JsonValue);
}

/** MAC of `report` under `key` (hex). */
export function reportMac(key: SiteKey, report: { signature: ReportSignature } & Record<string, unknown>): string {
  return createHmac('sha256', reportKey(key)).update(signedBytes(report), 'utf8').digest('hex');
}

/** Sign: fills `signature` (header and value) and returns the signed report. */
export function signReport<T extends Record<string, unknown>>(key: SiteKey, report: T): T & { signature: ReportSignature } {
  const withHeader = { ...report, signature: signatureHeader(key) };
  return { ...withHeader, signature: { ...withHeader.signature, value: reportMac(key, withHeader) } };
}

/** Why a signature does not verify, or null when it does (constant-time MAC comparison). */
export function signatureProblem(key: SiteKey, report: Record<string, unknown>): string | null {
  const sig = report.signature as Partial<ReportSignature> | undefined;
  if (!sig || typeof sig !== 'object') return 'the report has no signature';
  if (sig.algorithm !== SIGNATURE_ALGORITHM || sig.canonicalization !== CANONICALIZATION) return 'unsupported signature algorithm or canonicalization';
  if (sig.keyId !== key.keyId || sig.keyVersion !== key.version) return `the report is signed with key ${String(sig.keyId)} v${String(sig.keyVersion)}, not ${key.keyId} v${key.version}`;
  if (typeof sig.value !== 'string' || !/^[0-9a-f]{64}$/.test(sig.value)) return 'the signature value is malformed';
  let expected: string;
  try {
    expected = reportMac(key, report as { signature: ReportSignature } & Record<string, unknown>);
  } catch {
    return 'the report cannot be canonicalized';
  }
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(sig.value, 'hex')) ? null : 'the signature does not match the report (edited, or another key)';
}
