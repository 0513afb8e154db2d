/**
 * Without a consortium schema nothing says which columns are safe to
 * query, so ingest refuses the ones that single people out (the attack:
 * `patient_id = 100017` answered 1): a name that looks like an identifier
 * (`isIdLikeColumnName`: `patient_id`, `mrn_no`, `first_name`,
 * `date_of_birth`, `phone`, `zip`, ...) or values that are all distinct
 * (`valuesUniquePerRow`: at least 10 non-missing values, no repeat: a
 * record number, an all-digit phone number, a full-precision measurement).
 * The id column is not a phenotype column and is not checked here.
 */
import { isIdLikeColumnName, valuesUniquePerRow } from '../../proto/phenotype-schema.js';
import type { PhenotypeTable } from './parse-table.js';

export type IdentifierReason = 'identifier-like name' | 'a distinct value in every row';

export interface IdentifierColumn {
  readonly name: string;
  readonly reason: IdentifierReason;
}

/** The table's phenotype columns that single people out, in table order, with why (never a value). */
export function identifierColumns(table: PhenotypeTable): IdentifierColumn[] {
  const out: IdentifierColumn[] = [];
  table.columns.forEach((col, c) => {
    if (isIdLikeColumnName(col.name)) out.push({ name: col.name, reason: 'identifier-like name' });
    else if (valuesUniquePerRow(table.values[c] ?? [])) out.push({ name: col.name, reason: 'a distinct value in every row' });
  });
  return out;
}
