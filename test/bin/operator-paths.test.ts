/**
 * The operator's own paths in CLI errors (issue 14 polish), one family at
 * a time: ingest inputs, pseudonymize inputs and outputs, verify inputs,
 * the researcher's files (--annotation, --genes, --variants), output
 * folders and config files. Through the compiled CLI (`npx tsc -p
 * tsconfig.json` first) each error names the file by its basename and the
 * path exactly as typed follows in parentheses; in-process, the same error
 * from the same function carries the path only under its symbol key, so
 * neither a log line of the servers' pino loggers (LOG_SERIALIZERS) nor a
 * REST or gRPC error body ever holds it. Every path typed lives under a
 * folder whose name is the marker the negative checks look for.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geneSpanFromFile } from '../../coordinator/client/gene-annotation.js';
import { loadCoordinatorConfig } from '../../coordinator/config.js';
import { buildRestApp } from '../../coordinator/rest/app.js';
import { toErrorReply } from '../../coordinator/rest/error-handler.js';
import { writeAtomically } from '../../node/io/atomic-output.js';
import { readPhenotypeSchemaFile } from '../../node/phenotypes/schema-file.js';
import { checkReportFile } from '../../node/pseudonymize/report/verification-report.js';
import { generateSiteKey } from '../../node/pseudonymize/site-key.js';
import { readTableText } from '../../node/pseudonymize/table/pseudonymize-table.js';
import { loadNodeConfig } from '../../node/server/config.js';
import { toServiceError } from '../../node/server/status.js';
import { LOG_SERIALIZERS } from '../../proto/log-error.js';
import { operatorPath } from '../../proto/operator-path.js';
import { FakeFederation, TOKEN, tokens } from '../coordinator/rest/fake-federation.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'genofed.js');
/** The folder every typed path goes through: what must never leave the terminal. */
const M = 'hospital-private-folder';

/** One pino log line of the error, as the node's and the coordinator's loggers write it. */
function logLine(err: unknown, serializers: Record<string, (v: unknown) => unknown> = LOG_SERIALIZERS): string {
  const lines: string[] = [];
  pino({ serializers }, { write: (s: string) => { lines.push(s); } }).error({ err }, 'failed');
  return lines.join('');
}

/** The error carries `path` for the terminal; its log line, REST body and gRPC status hold its code but not the marker folder. */
function expectPathOnlyOnTerminal(err: unknown, path: string, code: string): void {
  expect(operatorPath(err)).toBe(path);
  expect((err as { code?: unknown }).code).toBe(code);
  const log = logLine(err);
  expect(log).toContain(code);
  expect(log).not.toContain(M);
  const rest = JSON.stringify(toErrorReply(err));
  expect(rest).toContain(code);
  expect(rest).not.toContain(M);
  const grpc = toServiceError(err);
  expect(JSON.stringify({ code: grpc.code, details: grpc.details, metadata: grpc.metadata?.getMap() })).not.toContain(M);
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('the operator\'s paths in CLI errors, per family (compiled CLI; in-process: never in a log, REST or gRPC error)', () => {
  let dir: string;
  const genofed = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd: dir, timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });

  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist', 'bin', 'genofed.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    dir = await mkdtemp(join(tmpdir(), 'genofed-operator-paths-'));
    await mkdir(join(dir, M, 'exists'), { recursive: true });
    await writeFile(join(dir, M, 'bad.vcf'), 'not a vcf\n');
    await writeFile(join(dir, M, 'in.tsv'), 'id\tx\nA\t1\n');
    await writeFile(join(dir, M, 'taken.tsv'), 'already here\n');
    await writeFile(join(dir, M, 'variants.txt'), '1 10177 A\n');
    await writeFile(join(dir, M, 'genes.gtf'), 'chr1\tHAVANA\tgene\t1\t100\t.\t+\t.\tgene_id "OTHER";\n');
    expect((await genofed(['key', 'generate', '--out', 'site.key'])).code).toBe(0);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ingest inputs: a VCF that fails its header check and a missing schema file name the path as typed', async () => {
    const vcf = await genofed(['node', 'ingest', '--store', 'store', '--vcf', `${M}/bad.vcf`, '--raw-ids']);
    expect(vcf.code).toBe(1);
    expect(vcf.stderr).toBe(`genofed: GENOFED_VCF_HEADER: bad.vcf:1: first line is not ##fileformat=VCFv4.x (${M}/bad.vcf)\n`);
    const schema = await genofed(['node', 'ingest', '--store', 'store', '--vcf', `${M}/bad.vcf`, '--raw-ids', '--schema', `${M}/none.json`]);
    expect(schema.stderr).toBe(`genofed: GENOFED_INPUT_NOT_FOUND: none.json: cannot read schema file (${M}/none.json)\n`);
    expectPathOnlyOnTerminal(await thrown(readPhenotypeSchemaFile(`${dir}/${M}/none.json`)), `${dir}/${M}/none.json`, 'GENOFED_INPUT_NOT_FOUND');
  });

  it('pseudonymize: a missing input, a missing --regions file and an output that exists name the path as typed', async () => {
    const input = await genofed(['pseudonymize', 'table', '--in', `${M}/missing.tsv`, '--out', 'out.tsv', '--key-file', 'site.key']);
    expect(input.stderr).toBe(`genofed: GENOFED_INPUT_NOT_FOUND: missing.tsv: cannot open input file (${M}/missing.tsv)\n`);
    const regions = await genofed(['pseudonymize', 'vcf', '--in', `${M}/bad.vcf`, '--out', 'out.vcf', '--key-file', 'site.key', '--regions', `${M}/none.bed`]);
    expect(regions.stderr).toBe(`genofed: GENOFED_INPUT_NOT_FOUND: none.bed: cannot open input file (${M}/none.bed)\n`);
    const output = await genofed(['pseudonymize', 'table', '--in', `${M}/in.tsv`, '--out', `${M}/taken.tsv`, '--key-file', 'site.key']);
    expect(output.stderr).toBe(`genofed: GENOFED_OUTPUT_EXISTS: taken.tsv: output file already exists (${M}/taken.tsv)\n`);
    expectPathOnlyOnTerminal(await thrown(readTableText(`${M}/missing.tsv`)), `${M}/missing.tsv`, 'GENOFED_INPUT_NOT_FOUND');
  });

  it('verify: a missing report and a missing original name the path as typed', async () => {
    const report = await genofed(['verify', 'report', `${M}/none.json`, '--against', `${M}/in.tsv`, '--key-file', 'site.key']);
    expect(report.stderr).toBe(`genofed: GENOFED_INPUT_NOT_FOUND: none.json: cannot read report (${M}/none.json)\n`);
    const original = await genofed(['verify', 'table', '--original', `${M}/gone.tsv`, '--pseudonymized', `${M}/in.tsv`]);
    expect(original.stderr).toBe(`genofed: GENOFED_INPUT_NOT_FOUND: gone.tsv: cannot open input file (${M}/gone.tsv)\n`);
    expectPathOnlyOnTerminal(await thrown(checkReportFile(`${M}/none.json`, `${M}/in.tsv`, generateSiteKey())), `${M}/none.json`, 'GENOFED_INPUT_NOT_FOUND');
  });

  it('the researcher\'s files: --annotation (missing, or without the gene), --genes and a malformed --variants file name the path as typed', async () => {
    const api = ['--coordinator', 'http://127.0.0.1:9', '--token', 'not-needed-before-the-file-is-read'];
    const missing = await genofed(['query', 'eqtl', ...api, '--gene', 'IL2RA', '--annotation', `${M}/none.gtf`]);
    expect(missing.stderr).toBe(`genofed: GENOFED_USAGE: --annotation: cannot read none.gtf (${M}/none.gtf)\n`);
    const noGene = await genofed(['query', 'eqtl', ...api, '--gene', 'IL2RA', '--annotation', `${M}/genes.gtf`]);
    expect(noGene.stderr).toBe(`genofed: GENOFED_USAGE: --annotation: genes.gtf has no gene IL2RA (${M}/genes.gtf)\n`);
    const genes = await genofed(['query', 'expr', ...api, '--group-a', "super_pop = 'EUR'", '--group-b', "super_pop = 'EAS'", '--genes', `${M}/none.txt`]);
    expect(genes.stderr).toBe(`genofed: GENOFED_USAGE: --genes: cannot read none.txt (${M}/none.txt)\n`);
    const variants = await genofed(['query', 'af', ...api, '--variants', `${M}/variants.txt`]);
    expect(variants.stderr).toMatch(new RegExp(`^genofed: GENOFED_BAD_VARIANT: variants\\.txt line 1: .* \\(${M}/variants\\.txt\\)\\n$`));
    expectPathOnlyOnTerminal(await thrown(geneSpanFromFile(`${M}/none.gtf`, 'IL2RA')), `${M}/none.gtf`, 'GENOFED_USAGE');
  });

  it('outputs: a site or network folder that exists, and a file that exists, name the path as typed', async () => {
    const site = await genofed(['site', 'init', '--out', `${M}/exists`, '--site', 'a', '--dns', 'a.example']);
    expect(site.stderr).toBe(`genofed: GENOFED_OUTPUT_EXISTS: exists: output folder already exists; site init never overwrites keys (${M}/exists)\n`);
    const network = await genofed(['network', 'init', '--sites', 'a,b,c', '--out', `${M}/exists`]);
    expect(network.stderr).toBe(`genofed: GENOFED_OUTPUT_EXISTS: exists: output folder already exists (${M}/exists)\n`);
    expectPathOnlyOnTerminal(await thrown(writeAtomically(`${dir}/${M}/taken.tsv`, async () => undefined, { noClobber: true })), `${dir}/${M}/taken.tsv`, 'GENOFED_OUTPUT_EXISTS');
  });

  it('config files: node serve and coordinator serve name the config path as typed', async () => {
    const node = await genofed(['node', 'serve', '--config', `${M}/node.json`]);
    expect(node.stderr).toBe(`genofed: GENOFED_CONFIG: node.json: cannot read config file (${M}/node.json)\n`);
    const coordinator = await genofed(['coordinator', 'serve', '--config', `${M}/coordinator.json`]);
    expect(coordinator.stderr).toBe(`genofed: GENOFED_CONFIG: coordinator.json: cannot read config file (${M}/coordinator.json)\n`);
    expectPathOnlyOnTerminal(await thrown(loadNodeConfig(`${M}/node.json`)), `${M}/node.json`, 'GENOFED_CONFIG');
    expectPathOnlyOnTerminal(await thrown(loadCoordinatorConfig(`${M}/coordinator.json`)), `${M}/coordinator.json`, 'GENOFED_CONFIG');
  });

  it('a file error that reaches the REST app (500) leaves neither its path nor its cause\'s in the body or the log line; pino\'s default serializer would have logged it', async () => {
    const err = await thrown(loadCoordinatorConfig(`${M}/coordinator.json`));
    // Why the servers' loggers have their own serializer: the default one appends the cause (ENOENT, open '<path>').
    expect(logLine(err, {})).toContain(M);
    const lines: string[] = [];
    const logger = pino({ serializers: LOG_SERIALIZERS }, { write: (s: string) => { lines.push(s); } });
    const fed = new FakeFederation();
    fed.failWith = err;
    const app = await buildRestApp({ federation: fed, tokens, logger });
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/queries/cohort-count', headers: { authorization: `Bearer ${TOKEN}` }, payload: { cohort: "super_pop = 'EUR'" } });
      expect(res.statusCode).toBe(500);
      expect(res.body).toContain('GENOFED_CONFIG');
      expect(res.body).not.toContain(M);
      const log = lines.join('');
      expect(log).toContain('"code":"GENOFED_CONFIG"');
      expect(log).not.toContain(M);
    } finally {
      await app.close();
    }
  });
});
