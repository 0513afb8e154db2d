/**
 * Node-side authorization: which coordinators (by client certificate) may
 * run which query kinds, at what rate (per coordinator, and per researcher
 * beneath it). mTLS already proved the chain to the
 * consortium CA; this policy is the hospital's own narrower choice (a CA
 * signs every consortium member, the hospital trusts fewer).
 *
 * A rule names the coordinator by the SHA-256 fingerprint of its
 * certificate's DER (pins one certificate: a re-issued one must be
 * re-approved) and/or by its coordinator id (CN + `urn:genofed:coordinator`
 * URI SAN, as `proto/convert/identity.ts` checks; survives renewal). When
 * both are given, both must match.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { certificateNames } from '../../proto/convert/identity.js';
import { NodeError } from '../errors.js';
import type { RateLimits } from './rate-limit.js';


/** Hex SHA-256, with or without colons (OpenSSL prints `AB:CD:...`), normalized to lowercase hex. */
const fingerprint = z
  .string()
  .transform((s) => s.replaceAll(':', '').toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256 fingerprint: 64 hex digits'));

const rule = z
  .strictObject({
    certificateFingerprint: fingerprint.optional(),
    coordinatorId: z.string().min(1).optional(),
    /** Query kinds (node/kinds registry) this coordinator may run; absent: every kind the node answers. */
    allowedKinds: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,62}$/)).min(1).optional(),
    maxQueriesPerHour: z.number().int().min(1).max(100_000).optional(),
    maxQueriesPerDay: z.number().int().min(1).max(100_000).optional(),
    /** Beneath the coordinator's limits (which every researcher it names shares): per (coordinator, researcher). */
    maxQueriesPerHourPerResearcher: z.number().int().min(1).max(100_000).optional(),
    maxQueriesPerDayPerResearcher: z.number().int().min(1).max(100_000).optional(),
  })
  .refine((r) => r.certificateFingerprint !== undefined || r.coordinatorId !== undefined, 'a rule needs certificateFingerprint or coordinatorId');

export const nodePolicySchema = z.strictObject({ coordinators: z.array(rule).min(1) });
export type NodePolicy = Readonly<z.infer<typeof nodePolicySchema>>;
export type PolicyRule = NodePolicy['coordinators'][number];

/**
 * Validate a policy once at start-up (GENOFED_CONFIG naming the bad field);
 * `knownKinds` (the node's registry) fills an absent `allowedKinds` and
 * refuses a name the node does not answer. The result is frozen.
 */
export function parseNodePolicy(input: unknown, knownKinds: readonly string[]): NodePolicy {
  const r = nodePolicySchema.safeParse(input);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new NodeError('GENOFED_CONFIG', `policy.${issue.path.join('.') || '(root)'}: ${issue.message}`, { cause: r.error });
  }
  r.data.coordinators.forEach((c, i) => {
    const unknown = (c.allowedKinds ?? []).filter((k) => !knownKinds.includes(k));
    if (unknown.length) throw new NodeError('GENOFED_CONFIG', `policy.coordinators.${i}.allowedKinds: '${unknown[0]}' is not a query kind this node answers (${knownKinds.join(', ')})`);
    c.allowedKinds ??= [...knownKinds];
    Object.freeze(c.allowedKinds);
  });
  return Object.freeze({ coordinators: Object.freeze(r.data.coordinators.map((c) => Object.freeze(c))) as PolicyRule[] });
}

/** The parts of node's `tls.PeerCertificate` (grpc-js `sslPeerCertificate`) the policy looks at. */
export interface PeerCertificateLike {
  readonly raw?: Uint8Array;
  readonly subject?: { CN?: string | string[] };
  readonly subjectaltname?: string;
}

export interface Authorization {
  readonly rule: PolicyRule;
  /** The coordinator identity the ledger keys this caller by: its id, else its fingerprint. */
  readonly coordinator: string;
  readonly limits: RateLimits;
}

export function certificateFingerprint(cert: PeerCertificateLike | undefined): string | undefined {
  return cert?.raw && cert.raw.length > 0 ? createHash('sha256').update(cert.raw).digest('hex') : undefined;
}

function matches(rule: PolicyRule, cert: PeerCertificateLike | undefined, fp: string | undefined): boolean {
  if (!cert) return false;
  if (rule.certificateFingerprint !== undefined && rule.certificateFingerprint !== fp) return false;
  if (rule.coordinatorId !== undefined && !certificateNames(cert, 'coordinator', rule.coordinatorId)) return false;
  return true;
}

/**
 * The rule admitting `cert` to run `kind`, or GENOFED_CALLER_NOT_IN_POLICY
 * / GENOFED_KIND_NOT_ALLOWED. Messages never echo the certificate.
 */
export function authorize(policy: NodePolicy, cert: PeerCertificateLike | undefined, kind: string): Authorization {
  const fp = certificateFingerprint(cert);
  const candidates = policy.coordinators.filter((r) => matches(r, cert, fp));
  if (candidates.length === 0) throw new NodeError('GENOFED_CALLER_NOT_IN_POLICY', 'query refused: the caller certificate matches no coordinator of the node policy');
  const r = candidates.find((c) => c.allowedKinds?.includes(kind));
  if (!r) throw new NodeError('GENOFED_KIND_NOT_ALLOWED', `query refused: the node policy does not allow this coordinator ${kind} queries`);
  return {
    rule: r,
    coordinator: r.coordinatorId ?? fp!,
    limits: { perHour: r.maxQueriesPerHour, perDay: r.maxQueriesPerDay, perHourPerResearcher: r.maxQueriesPerHourPerResearcher, perDayPerResearcher: r.maxQueriesPerDayPerResearcher },
  };
}
