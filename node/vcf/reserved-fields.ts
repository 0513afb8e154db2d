/**
 * INFO and FORMAT keys the VCF specification reserves (4.1-4.3 tables,
 * sections 1.6.1 and 1.6.2), with their fixed Number and Type. A header may
 * omit them; when it declares one with another Number/Type, the EBI
 * vcf-validator rejects the file (its failed_meta_info_* and
 * failed_meta_format_* vectors), and so do we in strict mode.
 */

export interface FieldDef {
  readonly id: string;
  /** '0'..'n', 'A', 'R', 'G', '.' */
  readonly number: string;
  readonly type: 'Integer' | 'Float' | 'Flag' | 'Character' | 'String';
}

const def = (id: string, number: string, type: FieldDef['type']): [string, FieldDef] => [id, { id, number, type }];

export const RESERVED_INFO: ReadonlyMap<string, FieldDef> = new Map([
  def('AA', '1', 'String'),
  def('AC', 'A', 'Integer'),
  def('AD', 'R', 'Integer'),
  def('ADF', 'R', 'Integer'),
  def('ADR', 'R', 'Integer'),
  def('AF', 'A', 'Float'),
  def('AN', '1', 'Integer'),
  def('BQ', '1', 'Float'),
  def('CIGAR', 'A', 'String'),
  def('DB', '0', 'Flag'),
  def('DP', '1', 'Integer'),
  def('END', '1', 'Integer'),
  def('H2', '0', 'Flag'),
  def('H3', '0', 'Flag'),
  def('MQ', '1', 'Float'),
  def('MQ0', '1', 'Integer'),
  def('NS', '1', 'Integer'),
  def('SOMATIC', '0', 'Flag'),
  def('VALIDATED', '0', 'Flag'),
  def('1000G', '0', 'Flag'),
]);

export const RESERVED_FORMAT: ReadonlyMap<string, FieldDef> = new Map([
  def('AD', 'R', 'Integer'),
  def('ADF', 'R', 'Integer'),
  def('ADR', 'R', 'Integer'),
  def('DP', '1', 'Integer'),
  def('EC', 'A', 'Integer'),
  def('FT', '1', 'String'),
  def('GL', 'G', 'Float'),
  def('GLE', 'G', 'String'),
  def('GP', 'G', 'Float'),
  def('GQ', '1', 'Integer'),
  def('GT', '1', 'String'),
  def('HQ', '2', 'Integer'),
  def('MQ', '1', 'Integer'),
  def('PL', 'G', 'Integer'),
  def('PQ', '1', 'Integer'),
  def('PS', '1', 'Integer'),
]);
