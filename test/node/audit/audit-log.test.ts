/**
 * The audit log's chain: entries hash to an independently computed SHA-256
 * of their sorted-key JSON, chain to their predecessor, and every kind of
 * tampering (edit, reorder, deletion in the middle and at the end,
 * replacement of the last entry, truncation, garbage) is found at the
 * right seq; a torn write from a crash is repaired into the chain.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../node/audit/audit-log.js';
import type { AuditRecord } from '../../../node/audit/entry.js';
import { alleleCounts } from '../../../proto/kinds/allele-counts.js';
import { variantKeys } from '../../../proto/kinds/variant-keys.js';
import { verifyAuditLog } from '../../../node/audit/verify.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'genofed-audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(i: number, over: Partial<AuditRecord> = {}): AuditRecord {
  return {
    queryId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    querier: { coordinator: 'coord-1', researcher: 'alice@example.org' },
    kind: 'allele-counts',
    parameters: { cohort: 'super_pop=EUR', variantCount: 10 + i, variantsSha256: 'ab'.repeat(32), strata: ['gender'], region: '22:1-100' },
    participants: ['site-a', 'site-b', 'site-c'],
    epsilonSpent: 0.1,
    decision: 'answered',
    ...over,
  };
}

async function build(n: number): Promise<string[]> {
  const log = await AuditLog.open(dir);
  for (let i = 1; i <= n; i++) await log.append(record(i, i === 2 ? { decision: 'refused', reason: 'GENOFED_RATE_LIMITED', epsilonSpent: 0 } : {}));
  return (await readFile(join(dir, 'audit.log'), 'utf8')).split('\n').filter(Boolean);
}

/** An independent canonical form: JSON.stringify with keys sorted at every level. */
function sortedJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}

describe('audit log', () => {
  it('chains entries: seq from 1, prevHash of the first is 64 zeros, hash is SHA-256 of the sorted-key JSON without hash', async () => {
    const lines = await build(4);
    expect(lines).toHaveLength(4);
    let prev = '0'.repeat(64);
    for (const [i, line] of lines.entries()) {
      const e = JSON.parse(line) as Record<string, unknown>;
      expect(e.seq).toBe(i + 1);
      expect(e.prevHash).toBe(prev);
      const { hash, ...rest } = e;
      expect(hash).toBe(createHash('sha256').update(sortedJson(rest)).digest('hex'));
      prev = hash as string;
    }
    expect(JSON.parse(lines[1]!)).toMatchObject({ decision: 'refused', reason: 'GENOFED_RATE_LIMITED', epsilonSpent: 0 });
    const head = JSON.parse(await readFile(join(dir, 'audit.head'), 'utf8')) as { seq: number; hash: string };
    expect(head).toMatchObject({ seq: 4, hash: prev });
    expect((await stat(join(dir, 'audit.log'))).mode & 0o777).toBe(0o600);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: true, entries: 4, headSeq: 4, headHash: prev });
  });

  it('keeps streamed variant lists out of the parameters: count and digest only', () => {
    const p = alleleCounts.audit({ kind: 'allele-counts', cohort: 'sex=female', variantCount: 3, variantsSha256: '01'.repeat(32), strata: ['super_pop'], region: '' });
    expect(p).toEqual({ cohort: 'sex=female', variantCount: 3, variantsSha256: '01'.repeat(32), strata: ['super_pop'], region: '' });
    expect(variantKeys.audit({ kind: 'variant-keys', region: 'chr22:10-20' })).toEqual({ region: 'chr22:10-20' });
  });

  it('finds an edited entry by its seq', async () => {
    const lines = await build(5);
    lines[2] = lines[2]!.replace('"variantCount":13', '"variantCount":14');
    await writeFile(join(dir, 'audit.log'), `${lines.join('\n')}\n`);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, entries: 2, firstBadSeq: 3, line: 3, problem: expect.stringMatching(/edited/) });
  });

  it('finds an entry edited and re-hashed by the chain link of the next one', async () => {
    const lines = await build(5);
    const e = JSON.parse(lines[2]!) as Record<string, unknown>;
    e.epsilonSpent = 0;
    const { hash: _h, ...rest } = e;
    e.hash = createHash('sha256').update(sortedJson(rest)).digest('hex');
    lines[2] = JSON.stringify(e);
    await writeFile(join(dir, 'audit.log'), `${lines.join('\n')}\n`);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, firstBadSeq: 4, problem: expect.stringMatching(/does not chain/) });
  });

  it('finds reordered entries', async () => {
    const lines = await build(5);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    await writeFile(join(dir, 'audit.log'), `${lines.join('\n')}\n`);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, firstBadSeq: 2, problem: expect.stringMatching(/reordered/) });
  });

  it('finds an entry deleted in the middle', async () => {
    const lines = await build(5);
    lines.splice(3, 1);
    await writeFile(join(dir, 'audit.log'), `${lines.join('\n')}\n`);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, entries: 3, firstBadSeq: 4, problem: expect.stringMatching(/deleted/) });
  });

  it('finds entries deleted at the end through audit.head', async () => {
    const lines = await build(5);
    await writeFile(join(dir, 'audit.log'), `${lines.slice(0, 3).join('\n')}\n`);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, entries: 3, firstBadSeq: 4, problem: expect.stringMatching(/deleted at the end/) });
    // ... and the node refuses to extend such a log.
    await expect((await AuditLog.open(dir)).append(record(9))).rejects.toMatchObject({ code: 'GENOFED_AUDIT_CORRUPT' });
  });

  it('finds a deleted log whose head remains, and a deleted head whose log remains', async () => {
    await build(2);
    const log = await readFile(join(dir, 'audit.log'));
    await rm(join(dir, 'audit.log'));
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, firstBadSeq: 1 });
    await writeFile(join(dir, 'audit.log'), log);
    await rm(join(dir, 'audit.head'));
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, problem: expect.stringMatching(/audit.head is missing/) });
  });

  it('finds the last entry replaced by a re-chained forgery', async () => {
    const lines = await build(3);
    const e = JSON.parse(lines[2]!) as Record<string, unknown>;
    e.decision = 'refused';
    const { hash: _h, ...rest } = e;
    e.hash = createHash('sha256').update(sortedJson(rest)).digest('hex');
    lines[2] = JSON.stringify(e);
    await writeFile(join(dir, 'audit.log'), `${lines.join('\n')}\n`);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, firstBadSeq: 3, problem: expect.stringMatching(/replaced/) });
  });

  it('finds truncation inside a line and garbage lines', async () => {
    await build(3);
    const path = join(dir, 'audit.log');
    const size = (await stat(path)).size;
    await truncate(path, size - 20);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, entries: 2, firstBadSeq: 3, problem: expect.stringMatching(/ends inside a line/) });
    await rm(dir, { recursive: true });
    dir = await mkdtemp(join(tmpdir(), 'genofed-audit-'));
    await build(3);
    await appendFile(join(dir, 'audit.log'), 'not json at all\n');
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, entries: 3, firstBadSeq: 4, line: 4, problem: expect.stringMatching(/not JSON/) });
  });

  it('accepts a head one entry behind (crash between the log fsync and the head update) and repairs it on the next append', async () => {
    await build(3);
    const before = await readFile(join(dir, 'audit.head'), 'utf8');
    await (await AuditLog.open(dir)).append(record(4));
    await writeFile(join(dir, 'audit.head'), before);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: true, entries: 4, problem: expect.stringMatching(/one entry behind/) });
    await (await AuditLog.open(dir)).append(record(5));
    const v = await verifyAuditLog(dir);
    expect(v).toMatchObject({ ok: true, entries: 5 });
    expect(v.problem).toBeUndefined();
  });

  it('cuts off a torn last line from a crash and records the repair as an entry in the chain', async () => {
    await build(2);
    await appendFile(join(dir, 'audit.log'), '{"seq":3,"at":"2026-');
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: false, firstBadSeq: 3 });
    const written = await (await AuditLog.open(dir)).append(record(3));
    expect(written.seq).toBe(4);
    const lines = (await readFile(join(dir, 'audit.log'), 'utf8')).split('\n').filter(Boolean);
    expect(JSON.parse(lines[2]!)).toMatchObject({ seq: 3, kind: 'audit-recovery', decision: 'recovered', parameters: { tornBytesDiscarded: 20 } });
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: true, entries: 4 });
  });

  it('serializes concurrent appends from one process into one chain', async () => {
    const log = await AuditLog.open(dir);
    const written = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(record(i))));
    expect(written.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: true, entries: 20 });
  });

  it('reports an empty store as intact with zero entries', async () => {
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: true, entries: 0 });
    await AuditLog.open(dir);
    await expect(verifyAuditLog(dir)).resolves.toMatchObject({ ok: true, entries: 0 });
  });
});
