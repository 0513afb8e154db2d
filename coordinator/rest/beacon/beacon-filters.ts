/**
 * Beacon filtering terms over the consortium phenotype schema: which terms
 * the Beacon declares (`/filtering_terms`), and the cohort expression a
 * request's filters select (Beacon v2: several filters are ANDed). Only
 * the schema's columns and values can be named, as with `cohort` on /v1,
 * and the expression is checked against the schema before any site is
 * asked.
 */
import { compileCohort } from '../../../proto/cohort/index.js';
import { schemaColumns, type PhenotypeSchema, type SchemaColumn } from '../../../proto/phenotype-schema.js';
import { CoordinatorError } from '../../errors.js';
import type { BeaconConfig, OntologyMapping } from './beacon-config.js';

/** Scopes a genofed filter applies to: the individuals behind the variant counts. */
const SCOPES = ['individuals', 'genomicVariations'] as const;

/** A declared filtering term (beaconFilteringTermsResults FilteringTerm). */
export interface DeclaredTerm {
  readonly type: 'ontologyTerm' | 'custom' | 'alphanumeric';
  readonly id: string;
  readonly label: string;
  readonly scopes: readonly string[];
}

/** A filter as a request carries it: an id (GET, or a plain string), or an ontology / alphanumeric / custom filter object. */
export type BeaconFilter = string | { readonly id: string; readonly operator?: string; readonly value?: string; readonly scope?: string; readonly includeDescendantTerms?: boolean; readonly similarity?: string };

interface Term {
  readonly column: SchemaColumn & { type: 'categorical' };
  readonly value: string;
}

/** Ontology terms whose concept maps onto a categorical column the schema has, with the schema's spelling of the value. */
function ontologyTerms(schema: PhenotypeSchema, config: BeaconConfig): Map<string, Term & { readonly term: OntologyMapping }> {
  const out = new Map<string, Term & { readonly term: OntologyMapping }>();
  for (const concept of config.ontology) {
    const column = concept.columns
      .map((name) => schema.columns.find((c) => c.name.toLowerCase() === name.toLowerCase()))
      .find((c): c is SchemaColumn & { type: 'categorical' } => c !== undefined && c.type === 'categorical');
    if (!column) continue;
    for (const term of concept.terms) {
      const value = column.values.find((v) => v.toLowerCase() === term.value.toLowerCase());
      if (value !== undefined) out.set(term.id.toUpperCase(), { column, value, term });
    }
  }
  return out;
}

/** Why: `/filtering_terms` declares exactly what `cohortFromFilters` accepts. */
export function declaredTerms(schema: PhenotypeSchema, config: BeaconConfig): DeclaredTerm[] {
  const terms: DeclaredTerm[] = [];
  for (const { term, column, value } of ontologyTerms(schema, config).values()) {
    terms.push({ type: 'ontologyTerm', id: term.id, label: `${term.label} (${column.name} = ${value})`, scopes: SCOPES });
  }
  for (const c of schema.columns) {
    if (c.type === 'categorical') {
      for (const v of c.values) terms.push({ type: 'custom', id: `${c.name}:${v}`, label: `${c.description ?? c.name}: ${v}`, scopes: SCOPES });
    } else {
      terms.push({ type: 'alphanumeric', id: c.name, label: `${c.description ?? c.name} (numeric, binned: >= and < at the edges ${c.bins.join(', ')})`, scopes: SCOPES });
    }
  }
  return terms;
}

function bad(message: string): CoordinatorError {
  return new CoordinatorError('GENOFED_BAD_REQUEST', message);
}

/** Single-quoted literal for the cohort grammar (schema values never contain a quote in practice; one that does is refused). */
function literal(value: string): string {
  if (value.includes("'")) throw bad('filters: a value containing a quote cannot be queried');
  return `'${value}'`;
}

const ALPHANUMERIC_OPS: Readonly<Record<string, string>> = { '=': '=', '!': '!=', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

/** One filter -> one test of the cohort grammar. */
function filterTest(filter: BeaconFilter, schema: PhenotypeSchema, ontology: ReturnType<typeof ontologyTerms>): string {
  const f = typeof filter === 'string' ? { id: filter } : filter;
  if (f.scope !== undefined && !(SCOPES as readonly string[]).includes(f.scope)) throw bad(`filters: scope '${f.scope}' is not supported (use individuals or genomicVariations)`);
  const id = f.id.trim();
  if (f.operator !== undefined || f.value !== undefined) {
    // Alphanumeric filter: a schema column, an operator, a value.
    if (f.operator === undefined || f.value === undefined) throw bad(`filters: '${id}' needs both operator and value`);
    const column = schema.columns.find((c) => c.name.toLowerCase() === id.toLowerCase());
    if (!column) throw bad(`filters: '${id}' is not a column of the consortium schema (GET /beacon/v2/filtering_terms lists them)`);
    const op = ALPHANUMERIC_OPS[f.operator];
    if (op === undefined) throw bad(`filters: operator '${f.operator}' is not supported`);
    if (column.type === 'categorical') {
      if (op !== '=' && op !== '!=') throw bad(`filters: '${column.name}' is categorical: use = or !`);
      const value = column.values.find((v) => v.toLowerCase() === f.value!.toLowerCase());
      if (value === undefined) throw bad(`filters: '${f.value}' is not a value of '${column.name}'`);
      return `${column.name} ${op} ${literal(value)}`;
    }
    if (!/^[+-]?[0-9]+(?:\.[0-9]+)?$/.test(f.value)) throw bad(`filters: '${column.name}' is numeric: the value must be a number`);
    return `${column.name} ${op} ${f.value}`;
  }
  const mapped = ontology.get(id.toUpperCase());
  if (mapped) return `${mapped.column.name} = ${literal(mapped.value)}`;
  const colon = id.indexOf(':');
  if (colon > 0) {
    const name = id.slice(0, colon);
    const raw = id.slice(colon + 1);
    const column = schema.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
    if (column?.type === 'categorical') {
      const value = column.values.find((v) => v === raw) ?? column.values.find((v) => v.toLowerCase() === raw.toLowerCase());
      if (value !== undefined) return `${column.name} = ${literal(value)}`;
    }
  }
  throw bad(`filters: unknown filtering term '${id}' (GET /beacon/v2/filtering_terms lists them)`);
}

/**
 * Why: the nodes count only people matching a cohort expression over the
 * roster's schema, so a Beacon filter must become one. Undefined without
 * filters (all samples). Throws 400 naming the first term it cannot map;
 * the expression is then type-checked as /v1 would (bins, values).
 */
export function cohortFromFilters(filters: readonly BeaconFilter[], schema: PhenotypeSchema, config: BeaconConfig): string | undefined {
  if (filters.length === 0) return undefined;
  const ontology = ontologyTerms(schema, config);
  const expression = filters.map((f) => filterTest(f, schema, ontology)).join(' and ');
  compileCohort(expression, schemaColumns(schema));
  return expression;
}
