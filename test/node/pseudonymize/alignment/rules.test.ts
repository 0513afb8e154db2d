/**
 * Unit rules: the header allow-list (including bwa's tab-split @PG CL),
 * and read-name pseudonyms equal to the core's keyed pseudonym function.
 */
import { describe, expect, it } from 'vitest';
import { rewriteHeader } from '../../../../node/pseudonymize/alignment/header-rules.js';
import { ReadNamePseudonyms } from '../../../../node/pseudonymize/alignment/read-names.js';
import { Pseudonymizer } from '../../../../node/pseudonymize/pseudonym.js';
import { testKey } from './samtools.js';

const ids = { readGroup: (s: string) => `rg(${s})`, sample: (s: string) => `sm(${s})`, library: (s: string) => `lb(${s})` };

describe('header allow-list', () => {
  it('keeps @HD and @SQ structure, drops @SQ UR, @CO and unknown line types', () => {
    const r = rewriteHeader('@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:248956422\tM5:6aef897c3d6ff0c78aff06ac189178dd\tUR:file:///data/patient7/hg38.fa\tAS:GRCh38\n@CO\tsample from ward 3\n@XY\tZZ:1\n', 'default', ids);
    expect(r.text).toBe('@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:248956422\tM5:6aef897c3d6ff0c78aff06ac189178dd\tAS:GRCh38\n');
    expect(r.linesDropped).toEqual({ CO: 1, XY: 1 });
    expect(r.fieldsDropped).toEqual({ 'SQ.UR': 1 });
  });

  it('replaces @RG ID, SM, LB and drops PU, DT, CN, DS, BC and unknown tags, keeping PL and PI', () => {
    const r = rewriteHeader('@RG\tID:1\tPL:ILLUMINA\tPU:130410_HS18_09653_A_C1JT2ACXX_4\tLB:7053878\tDT:2013-04-10T00:00:00+0100\tSM:ERS225193\tCN:SC\tDS:x\tBC:ACGT\tPI:300\tzz:private', 'default', ids);
    expect(r.text).toBe('@RG\tID:rg(1)\tPL:ILLUMINA\tLB:lb(7053878)\tSM:sm(ERS225193)\tPI:300\n');
    expect(r.readGroups).toBe(1);
  });

  it("drops bwa's @PG CL together with the ID:/SM: fields its literal tabs split off (pysam rg_with_tab)", () => {
    const line = '@PG\tID:bwa\tPN:bwa\tVN:0.7.9a-r786\tCL:bwa mem -p -t 8 -M -R @RG\tID:None\tSM:None /mnt/data/hg19.fa /mnt/analysis/default-0.fastq';
    const r = rewriteHeader(line, 'default', ids);
    expect(r.text).toBe('@PG\tID:bwa\tPN:bwa\tVN:0.7.9a-r786\n');
    expect(r.text).not.toMatch(/None|mnt/);
    expect(r.fieldsDropped).toEqual({ 'PG.CL': 1, 'PG.ID': 1, 'PG.SM': 1 });
  });

  it('strict drops every @PG line and the @RG PG reference to them', () => {
    const r = rewriteHeader('@RG\tID:fish\tPG:donkey\n@PG\tID:donkey\tPN:x\n', 'strict', ids);
    expect(r.text).toBe('@RG\tID:rg(fish)\n');
    expect(r.linesDropped).toEqual({ PG: 1 });
  });
});

describe('read-name pseudonyms', () => {
  it('equal the core Pseudonymizer for idType read, for many names and repeats, under two keys', () => {
    for (const key of [testKey(1), testKey(9, 3)]) {
      const fast = new ReadNamePseudonyms(key);
      const core = new Pseudonymizer(key, 'read');
      for (let i = 0; i < 2000; i++) {
        const name = Buffer.from(i % 3 === 0 ? `ERR229776.${i >> 1}` : `HISEQ:1:1101:${i * 7919}:${i % 97}`);
        const p = fast.of(name);
        expect(p).toBe(core.pseudonymOfBytes(name));
        expect(p).toMatch(/^[a-z2-7]{26}$/);
      }
      expect(fast.of(Buffer.from('x'.repeat(254)))).toBe(core.pseudonymOfBytes(Buffer.from('x'.repeat(254))));
    }
  });
});
