/**
 * `genofed demo`: the whole product on one machine (see run-demo.ts).
 * `npm run demo` runs it with the defaults: real 1000 Genomes data, 3 sites.
 */
import { Option, type Command } from 'commander';

interface DemoCliOptions {
  vcf?: string[];
  phenotypes?: string;
  cohort?: string;
  sites: string;
  out: string;
  preset: 'default' | 'test';
  force?: boolean;
  keep?: boolean;
  serve?: boolean;
}

export function registerDemoCommand(parent: Command): void {
  parent
    .command('demo')
    .description('run a whole consortium on this machine: split real 1000 Genomes data across N hospital nodes, query allele frequencies (also by super-population), a cohort and case-control associations under encryption, verify against plaintext')
    .option('--vcf <file...>', 'input VCF(s) (default: 1000 Genomes chr1 data shipped with genofed)')
    .option('--phenotypes <file>', 'phenotype table (TSV, first column the sample id); default: the 1000 Genomes panel when --vcf is not given')
    .option('--cohort <expr>', 'cohort expression for the cohort count', 'super_pop=EUR and gender=female')
    .option('--sites <n>', 'number of hospital sites', '3')
    .option('--out <dir>', 'output folder (af.tsv, cohort.json, af-strata.tsv, assoc-*.tsv, logs/)', './genofed-demo')
    .addOption(new Option('--preset <preset>', 'BFV parameters (test: smaller, for quick runs only)').choices(['default', 'test']).default('default'))
    .option('--force', 'no longer needed (kept for old scripts): a folder an earlier demo made is replaced anyway; any other non-empty folder is refused')
    .option('--keep', 'keep DIR/work: the consortium (keys, certificates, stores) and the per-site shares')
    .option('--serve', 'after the checks, keep the federation and its web page (the printed URL) up until Ctrl-C, then stop every process')
    .action(async (opts: DemoCliOptions) => {
      const { runDemo } = await import('./run-demo.js');
      const { CoordinatorError } = await import('../errors.js');
      if (!/^[1-9][0-9]?$/.test(opts.sites)) throw new CoordinatorError('GENOFED_USAGE', '--sites: expected an integer from 3 to 64');
      await runDemo({
        ...(opts.vcf ? { vcfs: opts.vcf } : {}),
        ...(opts.phenotypes ? { phenotypes: opts.phenotypes } : {}),
        ...(opts.cohort ? { cohort: opts.cohort } : {}),
        sites: Number(opts.sites),
        out: opts.out,
        preset: opts.preset,
        force: opts.force ?? false,
        keep: opts.keep ?? false,
        serve: opts.serve ?? false,
      });
    });
}
