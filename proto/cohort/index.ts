/**
 * Cohort expressions over phenotype columns (`super_pop=EUR and age>=40`,
 * `pop in (GBR,FIN)`, `not case=1`): one grammar for node and coordinator.
 */
export type { CohortAst, CompareOp, Literal, PhenotypeColumn, PhenotypeType } from './ast.js';
export { tokenize, type Token } from './tokenize.js';
export { parseCohort, MAX_EXPRESSION_LENGTH, COHORT_GRAMMAR } from './parse.js';
export { checkCohort, resolveColumn, type CheckedCohort, type CohortValue } from './check.js';
export { cohortToSql, quoteIdent, type SqlWhere } from './sql.js';
export { evaluateCohort, type PhenotypeRow } from './evaluate.js';

import type { CohortAst, PhenotypeColumn } from './ast.js';
import { checkCohort, type CheckedCohort } from './check.js';
import { parseCohort } from './parse.js';

/** Parse (if text) and type-check in one step: what query handlers call. */
export function compileCohort(cohort: string | CohortAst, schema: readonly PhenotypeColumn[]): CheckedCohort {
  return checkCohort(typeof cohort === 'string' ? parseCohort(cohort) : cohort, schema);
}
