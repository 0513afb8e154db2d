/**
 * The query builder: offers the phenotype schema's columns (GET
 * /v1/schema) as cohort terms and strata, shows the fields of the chosen
 * kind, and turns the form into the body its route takes. Field names and
 * limits are the API's (coordinator/rest/README.md); the server validates
 * again, so this only spares a round trip.
 */
import type { Kind, PhenotypeSchema } from './types.js';

/** The API allows 1 to 3 stratification columns. */
const MAX_STRATA = 3;

export interface Query { kind: Kind; path: string; body: Record<string, unknown>; by: string[] }

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Fill the cohort suggestions, the strata checkboxes and the schema list. */
export function showSchema(schema: PhenotypeSchema): void {
  const terms = $('cohort-terms');
  const strata = $('strata');
  const list = $('schema-columns');
  terms.replaceChildren();
  strata.replaceChildren();
  list.replaceChildren();
  const legend = document.createElement('span');
  legend.textContent = 'Strata: ';
  strata.append(legend);
  for (const c of schema.columns) {
    const suggestions = c.values?.map((v) => `${c.name} = ${quote(v)}`) ?? c.bins?.map((b) => `${c.name} >= ${b}`) ?? [];
    for (const s of suggestions) {
      const o = document.createElement('option');
      o.value = s;
      terms.append(o);
    }
    const li = document.createElement('li');
    li.textContent = `${c.name} (${c.type})${c.values ? `: ${c.values.join(', ')}` : ''}${c.bins ? `: bins at ${c.bins.join(', ')}` : ''}${c.description ? ` - ${c.description}` : ''}`;
    list.append(li);
    if (c.type !== 'categorical') continue;
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'by';
    box.value = c.name;
    box.addEventListener('change', limitStrata);
    label.append(box, ` ${c.name}`);
    strata.append(label);
  }
}

function limitStrata(): void {
  const boxes = [...document.querySelectorAll<HTMLInputElement>('input[name=by]')];
  const full = boxes.filter((b) => b.checked).length >= MAX_STRATA;
  for (const b of boxes) b.disabled = full && !b.checked;
}

/** Show the fieldsets of the chosen kind and the chosen variant target. */
export function syncForm(): void {
  const kind = $<HTMLSelectElement>('kind').value;
  for (const fs of document.querySelectorAll<HTMLElement>('[data-kinds]')) fs.hidden = !fs.dataset.kinds!.split(' ').includes(kind);
  const target = document.querySelector<HTMLInputElement>('input[name=target]:checked')?.value ?? 'region';
  for (const el of document.querySelectorAll<HTMLElement>('[data-target]')) el.hidden = el.dataset.target !== target;
}

const value = (id: string): string => $<HTMLInputElement>(id).value.trim();

/** The body of the chosen kind, or an Error naming the missing field. */
export function readQuery(): Query {
  const kind = $<HTMLSelectElement>('kind').value as Kind;
  const where = (): Record<string, unknown> => {
    const target = document.querySelector<HTMLInputElement>('input[name=target]:checked')?.value;
    if (target === 'variants') {
      const variants = value('variants').split(/[\s,]+/).filter(Boolean);
      if (variants.length === 0) throw new Error('list at least one variant (chrom-pos-ref-alt or rs id)');
      return { variants };
    }
    const region = value('region');
    if (!region) throw new Error('give a region, e.g. 1:11845000-11867000');
    return { region };
  };
  const need = (id: string, what: string): string => {
    const v = value(id);
    if (!v) throw new Error(`give the ${what} as a cohort expression`);
    return v;
  };
  if (kind === 'association') {
    return { kind, path: '/v1/queries/association', by: [], body: { cases: need('cases', 'cases'), controls: need('controls', 'controls'), ...where() } };
  }
  if (kind === 'expression') {
    const genes = value('genes').split(/[\s,]+/).filter(Boolean);
    return { kind, path: '/v1/queries/expression', by: [], body: { groupA: need('group-a', 'group A'), groupB: need('group-b', 'group B'), ...(genes.length ? { genes } : {}) } };
  }
  const by = [...document.querySelectorAll<HTMLInputElement>('input[name=by]:checked')].map((b) => b.value);
  const cohort = value('cohort');
  return { kind, path: '/v1/queries/allele-frequency', by, body: { ...where(), ...(cohort ? { cohort } : {}), ...(by.length ? { by } : {}) } };
}
