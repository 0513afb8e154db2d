/**
 * `genofed schema draft --table`: a draft phenotype schema from a site's
 * own table. On the 1000 Genomes panel: the three phenotype columns with
 * their values, the sample-id column never; identifier-like and
 * all-distinct columns left out; the output is a valid schema that
 * `roster build --schema` accepts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaDraft } from '../../../node/site/schema-draft.js';
import { parsePhenotypeSchema } from '../../../proto/phenotype-schema.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const PANEL = join(ROOT, 'test/fixtures/panel/integrated_call_samples_v3.20130502.ALL.panel');

describe('genofed schema draft', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'genofed-schema-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('drafts pop, super_pop and gender from the 1000G panel, with every value, and never the sample column', async () => {
    const schema = await schemaDraft({ table: PANEL });
    expect(schema.columns.map((c) => [c.name, c.type])).toEqual([['pop', 'categorical'], ['super_pop', 'categorical'], ['gender', 'categorical']]);
    const byName = Object.fromEntries(schema.columns.map((c) => [c.name, c]));
    expect(byName.super_pop).toMatchObject({ values: ['AFR', 'AMR', 'EAS', 'EUR', 'SAS'] });
    expect(byName.gender).toMatchObject({ values: ['female', 'male'] });
    expect((byName.pop as { values: string[] }).values).toHaveLength(26);
    expect(JSON.stringify(schema)).not.toContain('HG00096');
  });

  it('leaves out identifier-like and all-distinct columns, bins numbers, and honours --id-column (CSV)', async () => {
    const rows = ['patient,mrn_no,age,site_code,note'];
    for (let i = 0; i < 40; i++) rows.push(`p${i},${100000 + i},${20 + (i % 30)},${i % 2 ? 'north' : 'south'},n${i}`);
    await writeFile(join(tmp, 't.csv'), `${rows.join('\n')}\n`);
    const schema = await schemaDraft({ table: join(tmp, 't.csv'), idColumn: 'patient' });
    expect(schema.columns.map((c) => c.name)).toEqual(['age', 'site_code']);
    expect(schema.columns[0]).toMatchObject({ type: 'integer' });
    expect(schema.columns[1]).toMatchObject({ type: 'categorical', values: ['north', 'south'] });
    expect(parsePhenotypeSchema(JSON.parse(JSON.stringify(schema)))).toEqual(schema);
  });

  it('the CLI prints the draft as JSON on stdout; a missing id column names the file and line, not a value', async () => {
    const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => new Promise((done) => {
      execFile(process.execPath, [join(ROOT, 'bin/genofed.js'), ...args], (err, stdout, stderr) => done({ code: err ? Number(err.code) : 0, stdout, stderr }));
    });
    const ok = await run(['schema', 'draft', '--table', PANEL]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual(JSON.parse(JSON.stringify(await schemaDraft({ table: PANEL }))));
    const bad = await run(['schema', 'draft', '--table', PANEL, '--id-column', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('GENOFED_PHENOTYPE_FORMAT');
    expect(bad.stderr).toContain('integrated_call_samples_v3.20130502.ALL.panel:1');
    expect(await readFile(PANEL, 'utf8')).toContain('HG00096');
    expect(bad.stderr).not.toContain('HG00096');
  });
});
