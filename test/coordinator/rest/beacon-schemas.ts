/**
 * Test helper (not a test): the official Beacon v2 JSON schemas
 * (test/fixtures/beacon-v2, unmodified) in one ajv instance for JSON
 * Schema draft 2020-12. Every schema file is added under the `file://`
 * URI of its path, so each relative `$ref` resolves against its folder as
 * in the repository. `validate(path, doc)` returns ajv's errors (empty
 * when valid), with `path` relative to test/fixtures/beacon-v2;
 * `expectValid` asserts it, and `beaconBody` / `beaconQuery` build
 * requests that are validated before they are sent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { expect } from 'vitest';

export const BEACON_SCHEMAS = join(import.meta.dirname, '..', '..', 'fixtures', 'beacon-v2');

function schemaFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name.startsWith('examples') ? [] : schemaFiles(p);
    return e.name.endsWith('.json') ? [p] : [];
  });
}

/**
 * The count fields of beacon-v2 PRs #220 / #223 (2025, after the
 * snapshot): `countPrecision` one of exact, imprecise, rounded;
 * `countAdjustedTo` a list of the values (integers, or strings such as
 * `>30` / `<5`) the count was adjusted to.
 */
export const COUNT_ADJUSTMENT_SCHEMA = {
  type: 'object',
  properties: {
    countPrecision: { type: 'string', enum: ['exact', 'imprecise', 'rounded'] },
    countAdjustedTo: { type: 'array', minItems: 1, items: { anyOf: [{ type: 'integer' }, { type: 'string' }] } },
  },
  required: ['countPrecision'],
} as const;

// Strict mode off only for the schemas' non-standard annotations (`example`); formats are checked below.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
ajv.addFormat('uri', (s: string) => URL.canParse(s));
ajv.addFormat('uri-template', (s: string) => URL.canParse(s.replace(/\{[^}]*\}/g, 'x')));
ajv.addFormat('date-time', (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)));
ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });

for (const file of schemaFiles(BEACON_SCHEMAS)) {
  if (file.endsWith('endpoints.json')) continue; // OpenAPI documents, not JSON schemas
  ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')), pathToFileURL(file).href);
}
ajv.addSchema(COUNT_ADJUSTMENT_SCHEMA, 'genofed:count-adjustment');

/** Loaded schema files (for a sanity check that the folder was found). */
export const LOADED_SCHEMAS = schemaFiles(BEACON_SCHEMAS).map((f) => relative(BEACON_SCHEMAS, f));

/** ajv's errors for `doc` against the schema at `path` (relative to the fixture folder, `#/pointer` allowed), or [] when valid. */
export function validate(path: string, doc: unknown): ErrorObject[] {
  const [file, pointer] = path.split('#');
  const id = path.startsWith('genofed:') ? path : `${pathToFileURL(join(BEACON_SCHEMAS, file!)).href}${pointer !== undefined ? `#${pointer}` : ''}`;
  const check = ajv.getSchema(id);
  if (!check) throw new Error(`no schema ${path}`);
  return check(doc) ? [] : [...(check.errors ?? [])];
}

export const FRAMEWORK = 'framework/json';
export const G_VARIANT_PARAMETERS = 'models/json/beacon-v2-default-model/genomicVariations/requestParameters.json#/g_variant';

/** A response document is valid against its Beacon schema (errors shown when not). */
export function expectValid(schema: string, doc: unknown): void {
  expect(validate(schema, doc), schema).toEqual([]);
}

/** A POST body in the framework's shape; validated against beaconRequestBody and the default model's g_variant parameters before it is sent. */
export function beaconBody(g: Record<string, unknown>, query: Record<string, unknown> = {}): Record<string, unknown> {
  const body = { meta: { apiVersion: 'v2.0.0' }, query: { requestParameters: { g_variant: g }, ...query } };
  expectValid(`${FRAMEWORK}/requests/beaconRequestBody.json`, body);
  expectValid(G_VARIANT_PARAMETERS, g);
  return body;
}

/** A GET query string; its parameters, in the model's shape, are validated like a POST's. */
export function beaconQuery(q: Record<string, string>): string {
  const g: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) {
    if (k === 'start' || k === 'end') g[k] = v.split(',').map(Number);
    else if (!['filters', 'requestedGranularity'].includes(k)) g[k] = v;
  }
  expectValid(G_VARIANT_PARAMETERS, g);
  if (q.requestedGranularity) expectValid(`${FRAMEWORK}/common/beaconCommonComponents.json#/$defs/Granularity`, q.requestedGranularity);
  if (q.filters) expectValid(`${FRAMEWORK}/common/beaconCommonComponents.json#/$defs/Filters`, q.filters.split(','));
  return new URLSearchParams(q).toString();
}
