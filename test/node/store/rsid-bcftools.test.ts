/**
 * Variants by dbSNP rs id against bcftools: the 1000 Genomes chr1 start
 * (2,504 samples; a multi-allelic record, an `rsA;rsB` ID column) and the
 * chr20 EUR reference panel (an rs id on two records) in one store. The
 * keys an rs id resolves to are the ALT alleles of the records `bcftools
 * view -i 'ID=="rs..."'` selects (an id inside an `rsA;rsB` column matched
 * by anchored regexes: bcftools' `==` compares the whole column), with the same
 * AC/AN/nhomalt; `node query af --variants` takes rs ids mixed with keys.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, openStore, type Store } from '../../../node/store/index.js';
import { bcftoolsCounts, bcftoolsMinimalVcf, has } from './bcftools.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const KG = join(ROOT, 'test/fixtures/vcf/1kg_dev');
const BEACON = join(KG, 'beacon2_test_1000G_chr1_start.vcf.gz');
const EUR20 = join(KG, 'shapeit4_reference_chr20_300EUR.vcf.gz');
const HAS_BCFTOOLS = has('bcftools');
let compared = 0;

let scratch = '';
let storeDir = '';
let store: Store;
const sh = (cmd: string): string => execFileSync('bash', ['-c', `set -o pipefail; ${cmd}`], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] });

beforeAll(async () => {
  if (!HAS_BCFTOOLS) return;
  scratch = await mkdtemp(join(tmpdir(), 'genofed-rsid-'));
  storeDir = join(scratch, 'store');
  await ingest(storeDir, { rawIds: true, vcfs: [BEACON, EUR20] });
  store = await openStore(storeDir, { readOnly: true });
}, 120_000);
afterAll(async () => {
  await store?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Every `;`-separated rs id of a file's ID column, first seen order. */
function fileRsIds(vcf: string): string[] {
  return [...new Set(sh(`bcftools query -f '%ID\\n' '${vcf}'`).split('\n').flatMap((l) => l.split(';')).filter((x) => /^rs[0-9]+$/.test(x)))];
}

/** bcftools' keys and counts for the records whose ID column holds one of `ids`. */
function bcftoolsById(vcf: string, ids: string[], tag: string): { keys: Set<string>; counts: ReturnType<typeof bcftoolsCounts> } {
  const selected = join(scratch, `${tag}.vcf`);
  // One id of a `;` list: anchored regexes (bcftools' filter language has no alternation group).
  const expr = ids.map((id) => `ID=="${id}" || ID~"^${id};" || ID~";${id}$" || ID~";${id};"`).join(' || ');
  sh(`bcftools view --no-version -i '${expr}' -Ov -o '${selected}' '${vcf}'`);
  const minimal = join(scratch, `${tag}.min.vcf`);
  bcftoolsMinimalVcf(selected, minimal);
  const counts = bcftoolsCounts(minimal);
  return { keys: new Set(counts.keys()), counts };
}

describe.skipIf(!HAS_BCFTOOLS)('rs ids resolve to the records bcftools selects by ID', () => {
  it('every ALT allele of each record carrying the id, with bcftools fill-tags counts, over 400 ids of two files', async () => {
    for (const [vcf, special] of [[BEACON, ['rs62636497', 'rs545426917', 'rs538833530']], [EUR20, ['rs111361032', 'rs56289024']]] as const) {
      const all = fileRsIds(vcf);
      const ids = [...special, ...all.filter((_, i) => i % Math.ceil(all.length / 200) === 0)];
      const resolved = await store.resolveRsIds(ids);
      const keys = ids.flatMap((id) => resolved.get(id) ?? []);
      expect(ids.every((id) => resolved.has(id))).toBe(true);
      const ref = bcftoolsById(vcf, ids, `sel${compared}`);
      const got = new Set(keys.map((k) => `${k.chrom}\t${k.pos}\t${k.ref}\t${k.alt}`));
      expect(got).toEqual(ref.keys);
      const rows = await store.alleleCounts({ variants: keys });
      const bad: string[] = [];
      for (const r of rows) {
        const e = ref.counts.get(`${r.chrom}\t${r.pos}\t${r.ref}\t${r.alt}`)!;
        if (r.ac !== e.ac || r.an !== e.an || r.nhomalt !== e.nhomalt) bad.push(`${r.chrom}:${r.pos} ours ${r.ac}/${r.an}/${r.nhomalt} bcftools ${e.ac}/${e.an}/${e.nhomalt}`);
        compared++;
      }
      expect(bad.slice(0, 5)).toEqual([]);
    }
  });

  it('an id on a multi-allelic record gives each ALT; an id on two records gives both; an id inside rsA;rsB is found', async () => {
    const r = await store.resolveRsIds(['rs62636497', 'rs111361032', 'rs545426917', 'rs1']);
    const plain = (id: string): string => sh(`bcftools query -i 'ID=="${id}"' -f '%CHROM-%POS-%REF-%ALT\\n' '${id === 'rs111361032' ? EUR20 : BEACON}'`).trim();
    expect(r.get('rs62636497')!.map((k) => k.alt)).toEqual(plain('rs62636497').split('-').at(-1)!.split(','));
    expect(r.get('rs111361032')!.map((k) => `${k.chrom}-${k.pos}-${k.ref}-${k.alt}`)).toEqual(plain('rs111361032').split('\n').sort());
    expect(r.get('rs545426917')!.map((k) => k.pos)).toEqual([66381, 66381]);
    expect(plain('rs545426917')).toBe(''); // bcftools == compares the whole ID column
    expect(r.has('rs1')).toBe(false);
  });

  it('genofed node query af --variants takes rs ids mixed with keys, expanding each in place, and notes ids the store lacks', async () => {
    const list = join(scratch, 'mixed.txt');
    writeFileSync(list, '# mixed\nrs111361032\n1-10177-A-AC\nRS62636497\nrs999999999999\n');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/genofed.js'), 'node', 'query', 'af', '--store', storeDir, '--variants', list], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('chrom\tpos\tref\talt\tac\tan\taf\tnhomalt');
    expect(lines.slice(1).map((l) => l.split('\t').slice(0, 4).join('-'))).toEqual([
      ...sh(`bcftools query -i 'ID=="rs111361032"' -f '%CHROM-%POS-%REF-%ALT\\n' '${EUR20}'`).trim().split('\n').sort(),
      '1-10177-A-AC',
      ...sh(`bcftools query -i 'ID=="rs62636497"' -f '%ALT\\n' '${BEACON}'`).trim().split(',').map((alt) => `1-${sh(`bcftools query -i 'ID=="rs62636497"' -f '%POS-%REF' '${BEACON}'`)}-${alt}`),
    ]);
    expect(r.stderr).toBe('note: 1 of 3 rs ids are not in the store (no rows): rs999999999999\n');
  });
});

describe('rs id differential guard', () => {
  it('the bcftools comparison ran (bcftools must be installed in CI)', () => {
    if (process.env.CI) expect(HAS_BCFTOOLS).toBe(true);
    if (HAS_BCFTOOLS) expect(compared).toBeGreaterThan(300);
  });
});
