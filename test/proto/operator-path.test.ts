/**
 * proto/operator-path.ts: which typed path the CLI attaches to an error
 * raised where no path is known (a parser's "x.vcf:12: ..."), and what
 * it prints after the message.
 */
import { describe, expect, it } from 'vitest';
import { attachTypedPath, operatorPath, operatorPathSuffix, withOperatorPath } from '../../proto/operator-path.js';

const coded = (message: string): Error => Object.assign(new Error(message), { code: 'GENOFED_X' });

describe('attachTypedPath', () => {
  it('attaches the typed path whose basename the message names as a file (x:, x line N, (x)), the first one that does', () => {
    const typed = ['in/a.vcf', 'ref/panel.bed', 'cfg/node.json'];
    expect(operatorPath(attachTypedPath(coded('a.vcf:12: sample column 1 has more sub-fields than FORMAT keys'), typed))).toBe('in/a.vcf');
    expect(operatorPath(attachTypedPath(coded('panel.bed line 2: START is not a non-negative integer'), typed))).toBe('ref/panel.bed');
    expect(operatorPath(attachTypedPath(coded('roster.file (node.json): cannot read file'), typed))).toBe('cfg/node.json');
    expect(operatorPath(attachTypedPath(coded('a.vcf: x; panel.bed: y'), typed))).toBe('in/a.vcf');
  });

  it('leaves an error that names no typed file as a file, or already carries a path, as it is', () => {
    const typed = ['stores/store', 'in/a.vcf'];
    expect(operatorPath(attachTypedPath(coded("the store folder's admin.sock is not an owner-only socket"), typed))).toBeUndefined();
    expect(operatorPath(attachTypedPath(coded('data.vcf: no #CHROM line'), typed))).toBeUndefined();
    expect(operatorPath(attachTypedPath(coded('xa.vcf: no #CHROM line'), typed))).toBeUndefined();
    expect(operatorPath(attachTypedPath(withOperatorPath(coded('a.vcf: cannot open input file'), '/abs/in/a.vcf'), typed))).toBe('/abs/in/a.vcf');
    expect(attachTypedPath('a.vcf: not an object', typed)).toBe('a.vcf: not an object');
  });
});

describe('operatorPathSuffix', () => {
  it('is " (path)" unless the message already says the path', () => {
    expect(operatorPathSuffix(withOperatorPath(coded('a.vcf: cannot open input file'), 'in/a.vcf'), 'a.vcf: cannot open input file')).toBe(' (in/a.vcf)');
    expect(operatorPathSuffix(withOperatorPath(coded('a.vcf: cannot open input file'), 'a.vcf'), 'a.vcf: cannot open input file')).toBe('');
    expect(operatorPathSuffix(coded('no path'), 'no path')).toBe('');
  });
});
