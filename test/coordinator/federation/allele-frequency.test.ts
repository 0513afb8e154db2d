/**
 * Encrypted federated AF and cohort counts over real 1000 Genomes data
 * split by sample across 3 in-process sites (each site keeps only records
 * where its share carries an ALT allele, so the sites hold different
 * variant sets), compared with bcftools on the merged shares, and cohort
 * counts compared with the panel table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAlleleFrequencyPolicy, DEFAULT_DISCLOSURE_POLICY } from '../../../coordinator/disclosure/index.js';
import type { AlleleFrequencyRow, Federation } from '../../../coordinator/federation/types.js';
import { getPreset } from '../../../crypto/index.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { fillTags, has, sh } from './bcftools-reference.js';
import { startConsortium, type Consortium } from './consortium.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
const VCF = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
const SITES = ['a', 'b', 'c'];

describe('bcftools is available where the differential tests must run', () => {
  it('finds bcftools in CI (guard against a silently skipped differential suite)', () => {
    if (process.env.CI) expect(has('bcftools')).toBe(true);
    else expect(typeof has('bcftools')).toBe('boolean');
  });
});

describe.skipIf(!has('bcftools'))('federated allele frequencies over 3 sites', () => {
  let c: Consortium;
  let f: Federation;
  let shares: string[];
  let samples: string[];

  beforeAll(async () => {
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const work = await mkdtemp(join(tmpdir(), 'genofed-af-'));
    samples = sh(`bcftools query -l '${VCF}'`).split('\n').filter(Boolean);
    const third = Math.ceil(samples.length / 3);
    shares = SITES.map((s, i) => {
      const list = join(work, `${s}.samples`);
      writeFileSync(list, samples.slice(i * third, (i + 1) * third).join('\n') + '\n');
      const out = join(work, `${s}.vcf.gz`);
      sh(`bcftools view --no-version -S '${list}' --min-ac 1 -Oz -o '${out}' '${VCF}' && bcftools index -t '${out}'`);
      return out;
    });
    // The consortium schema of the panel (pop, super_pop, gender with their values) is in the roster; each site ingests the panel under it.
    const schema = parsePhenotypeSchema(JSON.parse(readFileSync(join(FIXTURES, 'panel', 'panel.schema.json'), 'utf8')));
    c = await startConsortium({ sites: SITES, vcfs: Object.fromEntries(SITES.map((s, i) => [s, [shares[i]!]])), phenotypes: Object.fromEntries(SITES.map((s) => [s, PANEL])), schema });
    // Exactness of the encrypted sums is checked with disclosure control off (k = 1 releases every
    // total as decrypted); the default policy is checked against bcftools separately below.
    f = await c.federationWith({ disclosure: { k: 1 } });
  }, 120_000);

  afterAll(async () => {
    await c?.close();
  });

  it('the shares really hold different variant sets (so slot alignment is exercised)', () => {
    const counts = shares.map((s) => Number(sh(`bcftools view -H '${s}' | wc -l`).trim()));
    expect(new Set(counts).size).toBeGreaterThan(1);
  });

  it('a whole-contig region query equals bcftools merge + fill-tags on every variant (AC, AN, nhomalt)', async () => {
    const expected = fillTags(`bcftools merge --no-version -m none ${shares.map((s) => `'${s}'`).join(' ')}`);
    const answer = await f.alleleFrequency({ region: '1', querier: 'test' });
    expect(answer.sites).toEqual({ responding: SITES, missing: [] });
    const got = new Map(answer.rows.map((r) => [`${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`, r]));
    expect(got.size).toBe(expected.size);
    for (const [key, e] of expected) {
      const g = got.get(key);
      expect(g, key).toBeDefined();
      expect({ ac: g!.ac, an: g!.an, nhomalt: g!.nhomalt }, key).toEqual(e);
      expect(g!.af).toBe(e.an > 0 ? e.ac / e.an : null);
    }
  });

  it('the sites pack their answers (protocol 7): a stratified region answer comes in about half the ciphertexts of one value per slot, and equals bcftools', async () => {
    // The network's largest total is AN <= 2 x its samples: under 2^14, so two values share a slot.
    expect(2 * samples.length).toBeLessThan(2 ** 14);
    const bytes: Record<string, number> = {};
    const g = await c.federationWith({ disclosure: { k: 1 } }, { onSiteAnswer: (site, b) => { bytes[site] = b; } });
    const first = (await g.alleleFrequency({ region: '1', querier: 'test' })).rows[0]!;
    await g.alleleFrequency({ variants: [{ chrom: '1', pos: first.pos, ref: first.ref, alt: first.alt }], querier: 'test' });
    const perCiphertext = bytes.a!; // one ciphertext (4 values, packed or not)
    const answer = await g.alleleFrequency({ region: '1', by: ['super_pop'], querier: 'test' });
    const all = answer.rows.filter((r) => r.strata!.super_pop === 'all');
    // 1 + 5 super-population blocks of 3 counters per variant, the test preset's 4,096 slots per ciphertext.
    const values = 6 * 3 * all.length;
    const packed = Math.ceil(Math.ceil(values / 2) / 4096);
    expect(Math.ceil(values / 4096)).toBeGreaterThan(packed);
    expect(bytes.a! / perCiphertext).toBe(packed);
    const expected = fillTags(`bcftools merge --no-version -m none ${shares.map((x) => `'${x}'`).join(' ')}`);
    for (const r of all) expect({ ac: r.ac, an: r.an, nhomalt: r.nhomalt }).toEqual(expected.get(`${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`));
  });

  it('AC and nhomalt also equal fill-tags on the unsplit file, and the network AN never exceeds it; asked as chr1, rows name the contig as the stores spell it (1)', async () => {
    const unsplit = fillTags(`bcftools view --no-version '${VCF}'`);
    const answer = await f.alleleFrequency({ region: 'chr1:10000-60000', querier: 'test' });
    expect(answer.rows.length).toBeGreaterThan(10);
    for (const r of answer.rows) {
      const u = unsplit.get(`1\t${r.pos}\t${r.ref}\t${r.alt}`)!;
      expect(r.chrom).toBe('1');
      expect(r.ac).toBe(u.ac);
      expect(r.nhomalt).toBe(u.nhomalt);
      expect(r.an).toBeLessThanOrEqual(u.an);
    }
  });

  it('regions as bcftools takes them: a list (overlaps merged, each record once) and a BED regions file equal bcftools -t/-T on every variant; malformed regions are refused before any site is asked', async () => {
    const merged = `bcftools merge --no-version -m none ${shares.map((s) => `'${s}'`).join(' ')}`;
    const list = '1:10177-10400,1:10300-11000,1:15000,1:50000-60000';
    const expected = fillTags(`${merged} | bcftools view --no-version -t '${list}'`);
    const answer = await f.alleleFrequency({ region: list, querier: 'test' });
    expect(answer.rows.map((r) => `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`)).toEqual([...expected.keys()]);
    for (const r of answer.rows) expect({ ac: r.ac, an: r.an, nhomalt: r.nhomalt }).toEqual(expected.get(`${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`));
    expect(answer.rows.length).toBeGreaterThan(10);
    // The same through a BED file (0-based, half-open), as the CLI reads it.
    const bed = join(c.dir, 'regions.bed');
    writeFileSync(bed, '1\t10176\t11000\n1\t14999\t15000\n1\t49999\t60000\n');
    const { regionOption } = await import('../../../coordinator/client/query-commands.js');
    const fromBed = await f.alleleFrequency({ region: (await regionOption({ regionsFile: bed }))!, querier: 'test' });
    expect(fromBed.rows).toEqual(answer.rows);
    const byFile = fillTags(`${merged} | bcftools view --no-version -T '${bed}'`);
    expect(fromBed.rows.map((r) => `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`)).toEqual([...byFile.keys()]);
    for (const bad of ['2:abc-def', '1:200-100', '1:,5', '1:0-5', '']) {
      await expect(f.alleleFrequency({ region: bad, querier: 'test' }), bad).rejects.toMatchObject({ code: 'GENOFED_BAD_REGION' });
    }
  });

  it('a variant-list query answers in request order, with zeros and exists false for a variant no site holds', async () => {
    const unsplit = fillTags(`bcftools view --no-version '${VCF}'`);
    const first = [...unsplit.keys()][5]!.split('\t');
    const variants = [
      { chrom: '1', pos: 999_999_999, ref: 'A', alt: 'T' },
      { chrom: first[0]!, pos: Number(first[1]), ref: first[2]!, alt: first[3]! },
    ];
    const answer = await f.alleleFrequency({ variants, querier: 'test' });
    expect(answer.rows.map((r) => r.pos)).toEqual([999_999_999, Number(first[1])]);
    // The unknown variant says so (exists false) rather than looking like missing data; the known one exists.
    expect(answer.rows[0]).toMatchObject({ ac: 0, an: 0, nhomalt: 0, af: null, exists: false });
    expect(answer.rows[1]!.ac).toBe(unsplit.get(first.join('\t'))!.ac);
    expect(answer.rows[1]!.exists).toBe(true);
    // A record only one share holds (its ALT carried by that share's samples alone) exists too.
    const held = shares.map((sh1) => new Set(sh(`bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\n' '${sh1}'`).split('\n').filter(Boolean)));
    const onlyOne = [...held[0]!].find((k) => !held[1]!.has(k) && !held[2]!.has(k) && !k.split('\t')[3]!.includes(','))!.split('\t');
    const single = await f.alleleFrequency({ variants: [{ chrom: onlyOne[0]!, pos: Number(onlyOne[1]), ref: onlyOne[2]!, alt: onlyOne[3]! }], querier: 'test' });
    expect(single.rows[0]!.exists).toBe(true);
    // Over a region every row is an observed record.
    expect((await f.alleleFrequency({ region: '1:10000-20000', querier: 'test' })).rows.every((r) => r.exists === true)).toBe(true);
  });

  it('variants named by rs id: the sites resolve each to every ALT allele of their records (a multi-allelic one, one in an rsA;rsB column), rows in request order equal bcftools -i ID==; an id no site holds is reported, with no row', async () => {
    const unsplit = fillTags(`bcftools view --no-version '${VCF}'`);
    const byId = (id: string): string[] => sh(`bcftools view --no-version -H '${VCF}' | awk -F'\\t' '{ n = split($3, ids, ";"); for (i = 1; i <= n; i++) if (ids[i] == "${id}") { split($5, alts, ","); for (j in alts) print $1"\\t"$2"\\t"$4"\\t"alts[j] } }'`).split('\n').filter(Boolean).sort();
    const plain = { chrom: '1', pos: 10177, ref: 'A', alt: 'AC' };
    const answer = await f.alleleFrequency({ variants: [{ rsId: 'rs62636497' }, plain, { rsId: 'rs999999999999' }, { rsId: 'rs545426917' }], querier: 'test' });
    const multi = byId('rs62636497');
    const second = byId('rs545426917');
    expect(multi).toHaveLength(2);
    expect(second.length).toBeGreaterThan(0);
    const keys = answer.rows.map((r) => `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`);
    expect(keys).toEqual([...multi, '1\t10177\tA\tAC', ...second]);
    for (const r of answer.rows) expect({ ac: r.ac, an: r.an, nhomalt: r.nhomalt, exists: r.exists }).toEqual({ ...unsplit.get(`${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`)!, exists: true });
    expect(answer.unresolved).toEqual(['rs999999999999']);
    // Only unknown ids: no aggregate round, no rows, the ids reported.
    const none = await f.alleleFrequency({ variants: [{ rsId: 'rs999999999998' }], querier: 'test' });
    expect([none.rows, none.unresolved]).toEqual([[], ['rs999999999998']]);
  });

  it('a cohort restriction equals bcftools on the same sample subset', async () => {
    const panel = readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
    const inVcf = new Set(samples);
    const eur = panel.filter((p) => p[2] === 'EUR' && inVcf.has(p[0]!)).map((p) => p[0]!);
    const list = join(c.dir, 'eur.samples');
    writeFileSync(list, eur.join('\n') + '\n');
    const expected = fillTags(`bcftools merge --no-version -m none ${shares.map((s) => `'${s}'`).join(' ')} | bcftools view --no-version -S '${list}'`);
    const answer = await f.alleleFrequency({ region: '1:1-20000', cohort: "super_pop = 'EUR'", querier: 'test' });
    expect(answer.rows.length).toBeGreaterThan(5);
    for (const r of answer.rows) expect({ ac: r.ac, an: r.an, nhomalt: r.nhomalt }, `${r.pos}`).toEqual(expected.get(`1\t${r.pos}\t${r.ref}\t${r.alt}`));
  });

  it('strata by super_pop: the all-sample rows and every cell equal bcftools on that super-population, each cell verified by the nodes', async () => {
    const panel = readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
    const inVcf = new Set(samples);
    const merged = `bcftools merge --no-version -m none ${shares.map((s) => `'${s}'`).join(' ')}`;
    const answer = await f.alleleFrequency({ region: '1:1-30000', by: ['super_pop'], querier: 'test' });
    const byCell = new Map<string, typeof answer.rows>();
    for (const r of answer.rows) {
      const cell = r.strata!.super_pop!;
      byCell.set(cell, [...(byCell.get(cell) ?? []), r]);
    }
    expect([...byCell.keys()]).toEqual(['all', 'AFR', 'AMR', 'EAS', 'EUR', 'SAS']);
    const all = fillTags(`${merged}`);
    for (const r of byCell.get('all')!) expect({ ac: r.ac, an: r.an, nhomalt: r.nhomalt }, `all ${r.pos}`).toEqual(all.get(`1\t${r.pos}\t${r.ref}\t${r.alt}`));
    let compared = 0;
    for (const sp of ['AFR', 'EAS', 'EUR']) {
      const list = join(c.dir, `${sp}.samples`);
      writeFileSync(list, panel.filter((p) => p[2] === sp && inVcf.has(p[0]!)).map((p) => p[0]).join('\n') + '\n');
      const expected = fillTags(`${merged} | bcftools view --no-version -S '${list}'`);
      for (const r of byCell.get(sp)!) {
        const e = expected.get(`1\t${r.pos}\t${r.ref}\t${r.alt}`) ?? { ac: 0, an: 0, nhomalt: 0 };
        expect({ ac: r.ac, an: r.an, nhomalt: r.nhomalt }, `${sp} ${r.pos}`).toEqual(e);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(30);
  });

  it('streamed (issue 11): rows leave piece by piece as the sites\' chunks complete, before the query resolves, and the pieces are the whole answer row for row (strata, a list with exists, default policy)', async () => {
    const g = await c.federationWith();
    const slots = getPreset('test').slotCount;
    const region = (await g.alleleFrequency({ region: '1', querier: 'test' })).rows.map((r) => ({ chrom: r.chrom, pos: r.pos, ref: r.ref, alt: r.alt }));
    const queries = [
      { region: '1', by: ['super_pop'], querier: 'test' },
      { variants: [...region, ...region.map((k) => ({ ...k, pos: k.pos + 1_000_000_000 })), { chrom: '1', pos: 999_999_999, ref: 'A', alt: 'T' }], querier: 'test' },
    ];
    for (const q of queries) {
      const whole = await g.alleleFrequency(q);
      const pieces: AlleleFrequencyRow[][] = [];
      let started: { queryId: string } | undefined;
      let resolved = false;
      let beforeEnd = 0;
      const rest = await g.alleleFrequencyStream(q, {
        start: (info) => { expect(pieces).toHaveLength(0); started = info; },
        rows: (rows) => { pieces.push([...rows]); if (!resolved) beforeEnd += 1; },
      }).then((r) => { resolved = true; return r; });
      const groups = whole.rows.length + (whole.disclosure!.rules.find((r) => r.rule === 'stratum-below-k')?.rows ?? 0);
      // Several ciphertexts, so several pieces (a piece may wait for a group's last values in the next one).
      expect(Math.ceil((groups * (q.variants ? 4 : 3)) / slots)).toBeGreaterThan(1);
      expect(pieces.length).toBeGreaterThan(1);
      expect(beforeEnd).toBe(pieces.length);
      expect(started!.queryId).toBe(rest.queryId);
      expect(pieces.flat()).toEqual(whole.rows);
      expect(rest.disclosure).toEqual(whole.disclosure);
      expect(rest.groupMaxima).toEqual(whole.groupMaxima);
      expect(rest.sites).toEqual(whole.sites);
    }
  });

  it('under the default disclosure policy (k = 5) the released values equal bcftools\' totals after the same policy, and the note counts what was withheld', async () => {
    const g = await c.federationWith();
    const expected = fillTags(`bcftools merge --no-version -m none ${shares.map((s) => `'${s}'`).join(' ')}`);
    const answer = await g.alleleFrequency({ region: '1', querier: 'test' });
    const keys = answer.rows.map((r) => `${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`);
    const reference = applyAlleleFrequencyPolicy(keys.map((k) => expected.get(k)!), DEFAULT_DISCLOSURE_POLICY);
    answer.rows.forEach((r, i) => expect({ ac: r.ac, an: r.an, nhomalt: r.nhomalt, af: r.af }, keys[i]).toEqual(reference.rows[i]));
    // The policy really acted: singletons and doubletons are withheld as "<5", with AF null.
    const withheld = answer.rows.filter((r) => r.ac === '<5');
    expect(withheld.length).toBeGreaterThan(10);
    for (const r of withheld) expect(r.af).toBeNull();
    expect(answer.disclosure).toEqual(reference.disclosure);
    expect(answer.disclosure!.rules.find((x) => x.rule === 'ac-below-k')?.rows).toBe(withheld.length);
    expect(answer.noise).toBeNull();
    // DP off: no budget is spent, and none is reported.
    expect(answer.remainingEpsilon).toBeNull();
    // A cohort smaller than k is not released.
    const tiny = await g.cohortCount({ cohort: "super_pop = 'AFR'", carriersOf: [{ chrom: '1', pos: 999_999_999, ref: 'A', alt: 'G' }], querier: 'test' });
    expect(tiny.count).toBe('<5');
    expect(tiny.disclosure!.rules.map((x) => x.rule)).toEqual(['cohort-below-k']);
  });

  it('a cohort count equals the panel table, and a carrier restriction counts carriers only', async () => {
    const panel = readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
    const inVcf = new Set(samples);
    const afr = panel.filter((p) => p[2] === 'AFR' && inVcf.has(p[0]!)).length;
    const answer = await f.cohortCount({ cohort: "super_pop = 'AFR'", querier: 'test' });
    expect(answer.count).toBe(afr);
    expect(answer.sites.responding).toEqual(SITES);

    // Carriers of 1:10177 A>AC among AFR, from bcftools on the unsplit file.
    const afrList = join(c.dir, 'afr.samples');
    writeFileSync(afrList, panel.filter((p) => p[2] === 'AFR' && inVcf.has(p[0]!)).map((p) => p[0]).join('\n') + '\n');
    const gts = sh(`bcftools view --no-version -S '${afrList}' -r 1:10177 '${VCF}' | bcftools query -i 'ALT="AC"' -f '[%GT\\n]'`).split('\n').filter(Boolean);
    const carriers = gts.filter((g) => g.split(/[/|]/).some((a) => a === '1')).length;
    const withCarriers = await f.cohortCount({ cohort: "super_pop = 'AFR'", carriersOf: [{ chrom: '1', pos: 10177, ref: 'A', alt: 'AC' }], querier: 'test' });
    expect(carriers).toBeGreaterThan(0);
    expect(withCarriers.count).toBe(carriers);
  });
});
