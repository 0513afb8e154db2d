/**
 * Export formats of `genofed query af` against a real local federation
 * (3 node gRPC servers with mTLS, BFV test preset, 1000 Genomes samples
 * split across the sites, the default disclosure policy k = 5), checked
 * with independent tools on the pooled input: the sites-only VCF with
 * `bcftools view/index/query` and `bcftools +fill-tags` (per stratum with
 * `-S`), the `.afreq` with `plink2 --freq`, the CSV against the TSV. The
 * compiled CLI runs in a child process (needs the build), the REST
 * download through the same listening app.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRestApp } from '../../../coordinator/rest/app.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';
import { has, sh } from '../federation/bcftools-reference.js';
import { startConsortium, type Consortium } from '../federation/consortium.js';
import { auth, TOKEN, tokens } from '../rest/fake-federation.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'bin', 'genofed.js');
const FIXTURES = join(ROOT, 'test', 'fixtures');
const VCF = join(FIXTURES, 'vcf', '1kg_dev', 'beacon2_test_1000G_chr1_start.vcf.gz');
const PANEL = join(FIXTURES, 'panel', 'integrated_call_samples_v3.20130502.ALL.panel');
const SITES = ['a', 'b', 'c'];
const REGION = '1:10000-60000';
const SUPER_POPS = ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'];

interface Run { code: number; stdout: string; stderr: string }

function genofed(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, GENOFED_TOKEN: TOKEN, GENOFED_COORDINATOR: '' }, timeout: 120_000, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** fill-tags' per-ALT values on the pooled input, keyed `chrom\tpos\tref\talt`; `tags` are Number=A except AN*. */
function pooledTags(vcfCommand: string, groups: string[], samplesFile?: string): Map<string, Record<string, number>> {
  const names = ['', ...groups.map((g) => `_${g}`)];
  const fmt = names.flatMap((s) => [`%AC${s}`, `%AN${s}`, `%AF${s}`, `%AC_Hom${s}`]).join('\\t');
  const tags = samplesFile ? `-S '${samplesFile}' -t AC,AN,AF,AC_Hom` : '-t AC,AN,AF,AC_Hom';
  const text = sh(`${vcfCommand} | bcftools +fill-tags -- ${tags} 2>/dev/null | bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t${fmt}\\n'`);
  const out = new Map<string, Record<string, number>>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    const [chrom, pos, ref, alts, ...vals] = line.split('\t') as string[];
    alts!.split(',').forEach((alt, i) => {
      const row: Record<string, number> = {};
      names.forEach((s, j) => {
        const [ac, an, af, hom] = vals.slice(j * 4, j * 4 + 4) as [string, string, string, string];
        row[`AC${s}`] = Number(ac.split(',')[i]);
        row[`AN${s}`] = Number(an);
        row[`AF${s}`] = Number(af.split(',')[i]);
        row[`nhomalt${s}`] = Number(hom.split(',')[i]) / 2;
      });
      out.set(`${chrom}\t${pos}\t${ref}\t${alt}`, row);
    });
  }
  return out;
}

describe('the tools the export tests compare with are available where they must run', () => {
  it('finds bcftools and plink2 in CI (guard against a silently skipped differential suite)', () => {
    if (process.env.CI) expect([has('bcftools'), has('plink2')]).toEqual([true, true]);
    else expect(typeof has('bcftools')).toBe('boolean');
  });
});

describe.skipIf(!has('bcftools'))('genofed query af export formats over a real federation', () => {
  let c: Consortium;
  let app: FastifyInstance;
  let url: string;
  let merged: string;
  let groupsFile: string;
  let vcfGz: string;

  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    const { mkdtemp } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const work = await mkdtemp(join(tmpdir(), 'genofed-export-'));
    const samples = sh(`bcftools query -l '${VCF}'`).split('\n').filter(Boolean);
    const third = Math.ceil(samples.length / 3);
    const shares = SITES.map((s, i) => {
      const list = join(work, `${s}.samples`);
      writeFileSync(list, samples.slice(i * third, (i + 1) * third).join('\n') + '\n');
      const out = join(work, `${s}.vcf.gz`);
      sh(`bcftools view --no-version -S '${list}' -r '${REGION}' --min-ac 1 -Oz -o '${out}' '${VCF}' && bcftools index -t '${out}'`);
      return out;
    });
    // The pooled input: what one party holding every site's genotypes would see (a site lacking a record contributes missing genotypes).
    merged = join(work, 'pooled.vcf.gz');
    sh(`bcftools merge --no-version -m none ${shares.map((s) => `'${s}'`).join(' ')} -Oz -o '${merged}'`);
    const inVcf = new Set(samples);
    groupsFile = join(work, 'super_pop.groups');
    writeFileSync(groupsFile, readFileSync(PANEL, 'utf8').split('\n').slice(1).map((l) => l.split('\t')).filter((p) => inVcf.has(p[0]!)).map((p) => `${p[0]}\t${p[2]}`).join('\n') + '\n');
    const schema = parsePhenotypeSchema(JSON.parse(readFileSync(join(FIXTURES, 'panel', 'panel.schema.json'), 'utf8')));
    c = await startConsortium({ sites: SITES, vcfs: Object.fromEntries(SITES.map((s, i) => [s, [shares[i]!]])), phenotypes: Object.fromEntries(SITES.map((s) => [s, PANEL])), schema });
    // The default policy (k = 5, suppress): some values are withheld, which the export must show.
    app = await buildRestApp({ federation: await c.federationWith(), tokens });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    vcfGz = join(c.dir, 'af.vcf.gz');
    const r = await genofed(['query', 'af', '--coordinator', url, '--region', REGION, '--by', 'super_pop', '--format', 'vcf', '--out', vcfGz]);
    expect(r.stderr).toMatch(/responding sites: a,b,c/);
    expect(r.code).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await c?.close();
  });

  it('the bgzipped VCF passes bcftools view, bcftools index (CSI and tabix) and region queries through the index', () => {
    expect(readFileSync(vcfGz).subarray(-28).toString('hex')).toBe('1f8b08040000000000ff0600424302001b0003000000000000000000');
    sh(`bcftools view --no-version '${vcfGz}' > /dev/null`);
    sh(`bcftools index -f '${vcfGz}' && bcftools index -f -t '${vcfGz}'`);
    const all = Number(sh(`bcftools view -H '${vcfGz}' | wc -l`).trim());
    const window = Number(sh(`bcftools view -H -r 1:10000-20000 '${vcfGz}' | wc -l`).trim());
    expect(all).toBeGreaterThan(100);
    expect(window).toBeGreaterThan(0);
    expect(window).toBeLessThan(all);
    const header = sh(`bcftools view -h '${vcfGz}'`);
    expect(header).toMatch(/^##fileformat=VCFv4\.3$/m);
    expect(header).toMatch(/^##contig=<ID=1>$/m);
    for (const id of ['AC', 'AN', 'AF', 'nhomalt', ...SUPER_POPS.flatMap((p) => [`AC_${p}`, `AN_${p}`, `AF_${p}`, `nhomalt_${p}`]), 'GENOFED_WITHHELD', 'GENOFED_BOUNDS']) {
      expect(header, id).toMatch(new RegExp(`^##INFO=<ID=${id},`, 'm'));
    }
    expect(header).toMatch(/^##genofed_disclosure=<K=5,SmallCounts=suppress,RoundTo=5,Noise="none",/m);
    expect(header).toMatch(/^##genofed_query=<ID=[0-9a-f-]+,Region="1:10000-60000",Strata="super_pop",Sites="a,b,c">$/m);
    expect(header).toMatch(/^##genofed_disclosure_rule=<Rule=ac-below-k,Action=suppressed,Rows=\d+,/m);
    // No sample id of the input is anywhere in the file.
    expect(header).not.toMatch(/HG00096|NA12878/);
  });

  it('every released AC, AN, AF and nhomalt, network-wide and per super-population, equals bcftools +fill-tags (-S) on the pooled input', () => {
    const expected = pooledTags(`bcftools view --no-version '${merged}'`, SUPER_POPS, groupsFile);
    const names = ['', ...SUPER_POPS.map((p) => `_${p}`)];
    const fmt = names.flatMap((s) => [`%AC${s}`, `%AN${s}`, `%AF${s}`, `%nhomalt${s}`]).join('\\t');
    const got = sh(`bcftools query -f '%CHROM\\t%POS\\t%REF\\t%ALT\\t${fmt}\\n' '${vcfGz}'`).split('\n').filter(Boolean);
    expect(got.length).toBe(expected.size);
    let released = 0;
    let withheld = 0;
    for (const line of got) {
      const [chrom, pos, ref, alt, ...vals] = line.split('\t') as string[];
      const key = `${chrom}\t${pos}\t${ref}\t${alt}`;
      const e = expected.get(key)!;
      expect(e, key).toBeDefined();
      names.forEach((s, j) => {
        const [ac, an, af, hom] = vals.slice(j * 4, j * 4 + 4) as [string, string, string, string];
        if (an !== '.') expect(Number(an), `AN${s} ${key}`).toBe(e[`AN${s}`]);
        if (ac !== '.') {
          released += 1;
          expect(Number(ac), `AC${s} ${key}`).toBe(e[`AC${s}`]);
          if (e[`AN${s}`]! > 0) expect(Math.abs(Number(af) - e[`AF${s}`]!), `AF${s} ${key}`).toBeLessThan(1e-6);
        } else {
          withheld += 1;
          // Withheld only where the true count is small (1..4 alternate or reference alleles, or fewer than 5 people called).
          const trueAc = e[`AC${s}`]!;
          const trueAn = e[`AN${s}`]!;
          expect((trueAc >= 1 && trueAc < 5) || (trueAn - trueAc >= 1 && trueAn - trueAc < 5) || trueAn < 10, `AC${s} ${key}`).toBe(true);
          expect(af, `AF${s} ${key}`).toBe('.');
        }
        if (hom !== '.') expect(Number(hom), `nhomalt${s} ${key}`).toBe(e[`nhomalt${s}`]);
      });
    }
    expect(released).toBeGreaterThan(500);
    expect(withheld).toBeGreaterThan(10);
  });

  it('a withheld value reads "." with the GENOFED_WITHHELD flag and its released bound in GENOFED_BOUNDS; FILTER says withheld exactly when the network AC or AN is', () => {
    const lines = sh(`bcftools query -f '%AC\\t%AN\\t%AC_EUR\\t%nhomalt\\t%FILTER\\t%GENOFED_WITHHELD\\t%GENOFED_BOUNDS\\n' '${vcfGz}'`).split('\n').filter(Boolean);
    let flagged = 0;
    for (const line of lines) {
      const [ac, an, acEur, hom, filter, flag, bounds] = line.split('\t') as string[];
      const dots = [ac, an, acEur, hom].filter((v) => v === '.').length;
      expect(filter).toBe(ac === '.' || an === '.' ? 'withheld' : 'PASS');
      if (dots > 0) expect(flag).toBe('1');
      if (ac === '.') expect(bounds).toMatch(/(^|,)AC:[<>]\d+(,|$)/);
      if (acEur === '.') expect(bounds).toMatch(/(^|,)AC_EUR:[<>]\d+(,|$)/);
      if (flag === '1') flagged += 1;
      else expect(bounds).toBe('.');
    }
    expect(flagged).toBeGreaterThan(0);
  });

  it('the REST download (Accept: text/vcf, ?format=vcf.gz) carries the same records as the CLI file, and the .gz is BGZF that bcftools indexes', async () => {
    const body = { region: REGION, by: ['super_pop'] };
    const plain = await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency', headers: { ...auth, accept: 'text/vcf' }, payload: body });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toMatch(/^text\/vcf/);
    expect(plain.headers['content-disposition']).toMatch(/^attachment; filename="genofed-[0-9a-f-]+\.vcf"$/);
    const gz = await app.inject({ method: 'POST', url: '/v1/queries/allele-frequency?format=vcf.gz', headers: auth, payload: body });
    expect(gz.statusCode).toBe(200);
    expect(gz.headers['content-type']).toBe('application/gzip');
    const records = (text: string): string[] => text.split('\n').filter((l) => l && !l.startsWith('##genofed_query') && !l.startsWith('##fileDate'));
    const cli = records(gunzipSync(readFileSync(vcfGz)).toString('utf8'));
    expect(records(plain.body)).toEqual(cli);
    expect(records(gunzipSync(gz.rawPayload).toString('utf8'))).toEqual(cli);
    const file = join(c.dir, 'rest.vcf.gz');
    writeFileSync(file, gz.rawPayload);
    sh(`bcftools index -f '${file}'`);
    expect(Number(sh(`bcftools view -H -r 1:10000-20000 '${file}' | wc -l`).trim())).toBeGreaterThan(0);
  });

  it.skipIf(!has('plink2'))('--format afreq equals plink2 --freq on the pooled input split per ALT: header, IDs, OBS_CT, ALT_FREQS within 1e-6 where released, NA where withheld', async () => {
    const out = join(c.dir, 'af.afreq');
    const r = await genofed(['query', 'af', '--coordinator', url, '--region', REGION, '--format', 'afreq', '--out', out]);
    expect(r.code).toBe(0);
    const split = join(c.dir, 'pooled.split.vcf.gz');
    sh(`bcftools norm --no-version -m- '${merged}' -Oz -o '${split}'`);
    sh(`plink2 --vcf '${split}' --freq --set-all-var-ids '@:#:$r:$a' --new-id-max-allele-len 1000 --allow-extra-chr --out '${join(c.dir, 'plink')}' > /dev/null`);
    const read = (p: string): string[][] => readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\t'));
    const ours = read(out);
    const theirs = read(join(c.dir, 'plink.afreq'));
    expect(ours[0]).toEqual(theirs[0]);
    const ref = new Map(theirs.slice(1).map((f) => [f[1]!, f]));
    expect(ours.length).toBe(theirs.length);
    let na = 0;
    for (const f of ours.slice(1)) {
      const t = ref.get(f[1]!)!;
      expect(t, f[1]).toBeDefined();
      expect(f.slice(0, 4)).toEqual(t.slice(0, 4));
      expect(f[5], f[1]).toBe(t[5]);
      if (f[4] === 'NA') { na += 1; continue; }
      expect(Math.abs(Number(f[4]) - Number(t[4])), f[1]).toBeLessThan(1e-6);
    }
    expect(na).toBeGreaterThan(0);
  });

  it('--format csv is the TSV table in RFC 4180 CSV: the same fields row for row, CRLF line ends', async () => {
    const [tsv, csv] = await Promise.all([
      genofed(['query', 'af', '--coordinator', url, '--region', '1:10000-20000', '--by', 'super_pop']),
      genofed(['query', 'af', '--coordinator', url, '--region', '1:10000-20000', '--by', 'super_pop', '--format', 'csv']),
    ]);
    expect([tsv.code, csv.code]).toEqual([0, 0]);
    expect(csv.stdout.endsWith('\r\n')).toBe(true);
    // No field needs quoting here, so splitting on commas is the RFC parse.
    expect(csv.stdout.split('\r\n').map((l) => l.split(','))).toEqual(tsv.stdout.split('\n').map((l) => l.split('\t')));
    expect(tsv.stdout.split('\n').length).toBeGreaterThan(20);
  });
});
