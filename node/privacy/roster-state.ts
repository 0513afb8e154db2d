/**
 * Which rosters this node has accepted, in order (`roster-history.jsonl`
 * in the store folder, append-only, fsynced): the chain of epochs a new
 * roster must extend, and the time of the last change of membership.
 *
 * Why: a change of membership is the one sanctioned way the set of
 * summed sites changes, and the difference of one query across two
 * epochs is a site's (or a few sites') counts. So changes are explicit
 * (epoch + 1, naming the fingerprint they replace; every member signed the
 * roster: proto/roster.ts), continuing members keep their signing keys
 * (their signatures are what the others trust), and membership changes
 * are rate-limited here (default: one per 24 h). A roster that only
 * changes the phenotype schema is not rate-limited.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { SignedRoster } from '../../proto/roster.js';
import { NodeError } from '../errors.js';

export const ROSTER_HISTORY_FILE = 'roster-history.jsonl';

const entrySchema = z.strictObject({
  epoch: z.number().int().min(1),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
  previous: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
  sites: z.array(z.string()),
  signingKeys: z.record(z.string(), z.string()),
  acceptedAt: z.string(),
  /** When membership last changed (this entry's time if it changed it). */
  membershipSince: z.string(),
});
export type RosterHistoryEntry = z.infer<typeof entrySchema>;

export type RosterTransition =
  | { readonly kind: 'same'; readonly entry: RosterHistoryEntry }
  | { readonly kind: 'first' | 'next'; readonly entry: RosterHistoryEntry; readonly membershipChanged: boolean };

async function readHistory(dir: string): Promise<RosterHistoryEntry[]> {
  let text: string;
  try {
    text = await readFile(join(dir, ROSTER_HISTORY_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new NodeError('GENOFED_ROSTER_EPOCH', `${ROSTER_HISTORY_FILE}: cannot read`, { cause: err });
  }
  const lines = text.split('\n');
  // A crash mid-append leaves a last line without newline: that roster was never accepted.
  if (lines[lines.length - 1] !== '') lines.pop();
  return lines.filter((l) => l !== '').map((l, i) => {
    try {
      return entrySchema.parse(JSON.parse(l));
    } catch (cause) {
      throw new NodeError('GENOFED_ROSTER_EPOCH', `${ROSTER_HISTORY_FILE}:${i + 1}: not a valid history entry; the node refuses to guess which roster it accepted`, { cause });
    }
  });
}

/** The last accepted roster (undefined before the first). */
export async function currentRoster(dir: string): Promise<RosterHistoryEntry | undefined> {
  const h = await readHistory(dir);
  return h[h.length - 1];
}

/**
 * Accept `signed` (fingerprint `fp`, already verified and confirmed) as
 * this node's roster, or refuse with GENOFED_ROSTER_EPOCH. Appends to the
 * history (fsync) when it is new. Rosters before the last accepted one,
 * forks (same epoch, other fingerprint), gaps, and membership changes
 * sooner than `minMembershipIntervalMs` after the previous one are refused.
 */
export async function acceptRoster(dir: string, signed: SignedRoster, fp: string, options: { minMembershipIntervalMs: number; now?: () => number }): Promise<RosterTransition> {
  const now = options.now?.() ?? Date.now();
  const history = await readHistory(dir);
  const last = history[history.length - 1];
  const r = signed.roster;
  const sites = r.sites.map((s) => s.id);
  const signingKeys = Object.fromEntries(r.sites.map((s) => [s.id, s.signingKey]));
  if (last && last.fingerprint === fp) return { kind: 'same', entry: last };
  let membershipChanged = true;
  if (last) {
    if (r.epoch <= last.epoch) throw new NodeError('GENOFED_ROSTER_EPOCH', `roster epoch ${r.epoch} is not after the accepted epoch ${last.epoch} (an old or forked roster)`);
    if (r.epoch !== last.epoch + 1 || r.previous !== last.fingerprint) throw new NodeError('GENOFED_ROSTER_EPOCH', `roster epoch ${r.epoch} does not extend the accepted epoch ${last.epoch} (it must be epoch ${last.epoch + 1} naming the accepted roster as previous)`);
    for (const s of r.sites) {
      const before = last.signingKeys[s.id];
      if (before !== undefined && before !== s.signingKey) throw new NodeError('GENOFED_ROSTER_EPOCH', `site ${s.id} changed its signing key between epochs; its signature is what the others trust`);
    }
    membershipChanged = sites.length !== last.sites.length || sites.some((s, i) => s !== last.sites[i]);
    const since = Date.parse(last.membershipSince);
    if (membershipChanged && now - since < options.minMembershipIntervalMs) {
      const hours = Math.ceil((options.minMembershipIntervalMs - (now - since)) / 3_600_000);
      throw new NodeError('GENOFED_ROSTER_EPOCH', `the roster changes membership again within the minimum interval; accepted in about ${hours} h (privacy.roster.minMembershipIntervalHours)`);
    }
  }
  const at = new Date(now).toISOString();
  const entry: RosterHistoryEntry = {
    epoch: r.epoch, fingerprint: fp, previous: r.previous, sites, signingKeys, acceptedAt: at,
    membershipSince: last && !membershipChanged ? last.membershipSince : at,
  };
  const fh = await open(join(dir, ROSTER_HISTORY_FILE), 'a+', 0o600);
  try {
    // Drop a torn last line (a crash mid-append) before appending after it.
    const text = (await fh.readFile()).toString('utf8');
    if (text.length > 0 && !text.endsWith('\n')) await fh.truncate(Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    await fh.appendFile(`${JSON.stringify(entry)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { kind: last ? 'next' : 'first', entry, membershipChanged };
}
