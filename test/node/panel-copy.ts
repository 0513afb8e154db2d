/**
 * A copy of the 1000 Genomes panel with the columns a hospital export
 * carries next to the phenotypes (not a test file): direct identifiers
 * (`patient_id`, `mrn_no`, an all-digit `phone`, `zip`, `first_name`,
 * `date_of_birth`) and a numeric phenotype (`age`), all deterministic per
 * row. Identifier values contain a 0, 1, 8 or 9 or an upper-case letter, so
 * none can occur by chance inside a pseudonym (`[a-z2-7]{26}`): a test may
 * search output bytes for them.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const PANEL = resolve(import.meta.dirname, '../fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel');
export const BEACON = resolve(import.meta.dirname, '../fixtures/vcf/1kg_dev/beacon2_test_1000G_chr1_start.vcf.gz');
export const IDENTIFIER_COLUMNS = ['patient_id', 'mrn_no', 'phone', 'zip', 'first_name', 'date_of_birth'] as const;

const NAMES = ['Minsu', 'Jiwoo', 'Seoyeon', 'Haneul', 'Olivia', 'Liam', 'Sofia', 'Mateo', 'Amara', 'Kwame', 'Priya', 'Arjun', 'Mei', 'Hiroshi', 'Elena', 'Jonas'];

export interface PanelRow {
  sample: string;
  pop: string;
  super_pop: string;
  gender: string;
  age: number;
  patient_id: string;
  mrn_no: string;
  phone: string;
  zip: string;
  first_name: string;
  date_of_birth: string;
}

/** The panel's 2,504 rows with the extra columns. Row i (0-based) has patient_id 100001 + i. */
export function panelRows(): PanelRow[] {
  const lines = readFileSync(PANEL, 'utf8').split('\n').filter(Boolean).slice(1);
  return lines.map((l, i) => {
    const [sample, pop, superPop, gender] = l.split('\t') as [string, string, string, string];
    const dob = new Date(Date.UTC(1940, 0, 1) + i * 9 * 86_400_000).toISOString().slice(0, 10);
    return {
      sample, pop, super_pop: superPop, gender,
      age: 18 + ((i * 7) % 67),
      patient_id: String(100_001 + i),
      mrn_no: String(90_000_000 + i * 37),
      phone: `010${String(10_000_000 + i * 3_331).padStart(8, '0')}`,
      zip: `1${String((i * 7) % 900 + 1000).padStart(4, '0')}`,
      first_name: NAMES[i % NAMES.length]!,
      date_of_birth: dob,
    };
  });
}

/** Write the rows as TSV with these columns (default: all), the sample id mapped through `id`. */
export async function writePanel(dir: string, name: string, rows: readonly PanelRow[], columns: readonly (keyof PanelRow)[], id: (sample: string) => string = (s) => s): Promise<string> {
  const path = join(dir, name);
  const body = rows.map((r) => columns.map((c) => (c === 'sample' ? id(r.sample) : String(r[c]))).join('\t'));
  await writeFile(path, `${[columns.join('\t'), ...body].join('\n')}\n`);
  return path;
}

export const ALL_COLUMNS: readonly (keyof PanelRow)[] = ['sample', 'pop', 'super_pop', 'gender', 'age', ...IDENTIFIER_COLUMNS];
