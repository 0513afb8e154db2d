/**
 * Top-level commands of issue 5: `key generate|map-show`,
 * `pseudonymize vcf|sam|bam|table`, `verify vcf|sam|bam|table`, `scan`.
 * Implementations load lazily from `cli-run.ts` so `genofed --help` stays
 * fast.
 */
import { Command, Option } from 'commander';

function tableOptions(cmd: Command): Command {
  return cmd
    .option('--id-column <names>', 'table: comma-separated id columns, pseudonymized as sample ids (default: the first column); the first is the person for date shifts')
    .option('--matrix', 'table: a genes x samples matrix: pseudonymize the header sample names, keep every other byte')
    .option('--date-columns <names>', 'table: comma-separated date columns (YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD)')
    .addOption(new Option('--date-mode <mode>', 'table: shift dates by a per-person offset or keep the year only').choices(['shift', 'year']).default('shift'))
    .option('--keep-text <names>', 'table: comma-separated text columns to keep even if they look like free text (not identifier-like names)')
    .option('--keep <names>', 'table: allow-list: only these columns (plus the id and date columns) can be kept; identifier-like names are refused')
    .option('--missing-values <list>', "table: comma-separated cell values meaning missing (default: '',NA,N/A,NaN,nan,null,NULL,.)")
    .addOption(new Option('--delimiter <d>', 'table: field delimiter (default: sniffed)').choices(['tab', 'comma']))
    .option('--no-ingest-check', "table: skip node ingest's table/matrix validation (a longitudinal table with repeated ids, a matrix with missing values: ingest will refuse the output)");
}

/** vcf only (issue 13, README "VCF levels"); no default here, so that cli-run.ts can refuse them for other formats. */
function levelOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--level <level>', 'vcf: guideline level: standard (default), low (##cmdline/##reference rules of the reference tool) or high (low + STR and rare-variant masking)').choices(['standard', 'low', 'high']))
    .option('--maf <x>', 'vcf --level high: rare threshold, site MAF strictly below it is masked (default 0.01)')
    .option('--str-min-repeat <n>', 'vcf --level high: minimum motif repeats of an STR (default 7)')
    .option('--str-motif <min-max>', 'vcf --level high: STR motif lengths (default 1-6)');
}

/** sam/bam --sanitize (alignment/sanitize.ts): on pseudonymize, and on verify to say how the output was made. */
function sanitizeOptions(cmd: Command): Command {
  return cmd
    .option('--sanitize', 'sam/bam: revert every kept read to the reference (mismatches, soft clips, indels; NM/MD recomputed) and drop unmapped, secondary and supplementary records')
    .option('--reference <fasta>', 'sam/bam --sanitize: the reference FASTA the reads were aligned to (its .fai is used when present)')
    .option('--keep-unmapped', 'sam/bam --sanitize: keep unmapped reads (with their original sequence: nothing to revert to)')
    .option('--keep-secondary', 'sam/bam --sanitize: keep secondary alignments (sanitized)')
    .option('--keep-supplementary', 'sam/bam --sanitize: keep supplementary alignments (sanitized; they mark chimeric reads)');
}

export function registerPseudonymizeCommands(program: Command): void {
  const key = program.command('key').description('site pseudonymization key (never leaves the site)');
  key
    .command('generate')
    .description('create a site key: 256 random bits, file mode 0600, never overwrites; prints the key id and version only')
    .requiredOption('--out <keyfile>', 'key file to create')
    .option('--key-version <n>', 'key version mixed into every pseudonym (rotate to unlink)', '1')
    .action(async (opts: { out: string; keyVersion: string }) => {
      const { runKeyGenerate } = await import('./cli-run.js');
      await runKeyGenerate(opts);
    });
  key
    .command('map-show')
    .description('decrypt a re-identification map and print it (original ids: run only where the site allows re-identification)')
    .requiredOption('--map <file>', 'map file written by pseudonymize --map')
    .requiredOption('--key-file <keyfile>', 'the site key it was written with')
    .option('--json', 'JSON output')
    .action(async (opts: { map: string; keyFile: string; json?: boolean }) => {
      const { runMapShow } = await import('./cli-run.js');
      await runMapShow(opts);
    });

  sanitizeOptions(levelOptions(tableOptions(
    program
      .command('pseudonymize')
      .description('pseudonymize a VCF, SAM, BAM, FASTQ (pair) or table with the site key (atomic output, nothing partial left on error)')
      .addArgument(new Command().createArgument('<format>', 'vcf, sam, bam, table or fastq').choices(['vcf', 'sam', 'bam', 'table', 'fastq']))
      .requiredOption('--in <file>', 'input file (fastq: R1 of a pair, or the single-end file)')
      .requiredOption('--out <file>', 'output file (bgzip/gzip input gives BGZF output; fastq: always BGZF)')
      .option('--in2 <file>', 'fastq: R2 of a pair, walked in step with --in')
      .option('--out2 <file>', 'fastq: output for --in2 (both outputs are written, or neither)')
      .requiredOption('--key-file <keyfile>', 'site key file (mode 0600)')
      .addOption(new Option('--mode <mode>', 'strict also drops non-standard VCF header lines, ##SAMPLE/##PEDIGREE, and OQ/OA/OC/OP/XA/SA tags').choices(['default', 'strict']).default('default'))
      .option('--regions <bed>', 'keep only records overlapping these BED regions (e.g. a gene panel)')
      .option('--map <file>', 'write the re-identification table here, encrypted with a key derived from the site key')
      .option('--report <file>', 'write a JSON report (counts, key id and version; no ids)')
      .option('--force', 'replace an existing output file')
      .option('--no-progress', 'no progress bar even on a terminal'),
  ))).action(async (format: string, opts: Record<string, unknown>) => {
    const { runPseudonymize } = await import('./cli-run.js');
    await runPseudonymize(format, opts);
  });

  sanitizeOptions(levelOptions(tableOptions(
    program
      .command('verify')
      .description('check a pseudonymized file against its original; exit 0 only if every check passes')
      .addArgument(new Command().createArgument('<format>', 'vcf, sam, bam, table or fastq; or report (check a signed report: verify report FILE.json --against OUTPUT --key-file K)').choices(['vcf', 'sam', 'bam', 'table', 'fastq', 'report']))
      .argument('[report-file]', 'report: the JSON report to check')
      // Not requiredOption: `verify report` takes neither (runVerify checks them for the file formats, GENOFED_USAGE).
      .option('--original <file>', 'the original file (required except for report)')
      .option('--pseudonymized <file>', 'the pseudonymized file (required except for report)')
      .option('--original2 <file>', 'fastq: the original R2 of a pair')
      .option('--pseudonymized2 <file>', 'fastq: the pseudonymized R2 of a pair')
      .option('--key-file <keyfile>', 'site key: check exact pseudonyms and byte-identical re-pseudonymization; signs --report FILE.json; required by verify report')
      .option('--report <file>', 'write a verification report: FILE.json (signed with the site key) or FILE.csv; may be given twice', (v: string, prev: string[] = []) => [...prev, v])
      .option('--against <file>', 'report: the pseudonymized file the report must be bound to')
      .option('--force', 'replace an existing report file')
      .addOption(new Option('--mode <mode>', 'mode used when pseudonymizing').choices(['default', 'strict']))
      .option('--regions <bed>', 'the --regions used when pseudonymizing')
      .option('--no-bcftools', 'vcf: do not run bcftools view even if installed')
      .option('--json', 'JSON output'),
  ))).action(async (format: string, reportFile: string | undefined, opts: Record<string, unknown>) => {
    const { runVerify, runVerifyReport } = await import('./cli-run.js');
    if (format === 'report') await runVerifyReport(reportFile, opts);
    else await runVerify(format, { ...opts, reportFile });
  });

  program
    .command('scan')
    .description('release gate: report identifier-bearing elements (by kind and location, never the value) without changing anything; exit 0 clean, 1 findings, 2 errors (unreadable or malformed file as node ingest would reject it, bad usage)')
    .argument('<file>', 'VCF (plain/bgzip), SAM, BAM, FASTQ (plain/gzip/bgzip) or table')
    .option('--denylist <file>', 'strings that must not appear (one per line)')
    .addOption(new Option('--format <format>', 'override format sniffing').choices(['vcf', 'sam', 'bam', 'table', 'fastq']))
    .option('--date-columns <names>', 'table: columns that hold shifted dates (or years) of a pseudonymized table, as given to pseudonymize: their dates are not findings')
    .option('--json', 'JSON output')
    .action(async (file: string, opts: { denylist?: string; format?: string; dateColumns?: string; json?: boolean }) => {
      const { runScan } = await import('./cli-run.js');
      await runScan(file, opts);
    });
}
