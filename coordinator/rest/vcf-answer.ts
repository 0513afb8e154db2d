/**
 * The allele-frequency answer as a sites-only VCF download (issue 14):
 * `Accept: text/vcf` or `?format=vcf` gives the plain VCF, `?format=vcf.gz`
 * the BGZF-compressed file (`application/gzip`, what `bcftools index`
 * takes), both with `Content-Disposition: attachment` so the web page's
 * download link saves a file. The same bytes `genofed query af --format
 * vcf [--out F.vcf.gz]` writes (coordinator/client/vcf-export.ts: header,
 * INFO fields, withheld values). The VCF needs the whole answer (a
 * variant's stratum cells arrive block after block and records must be
 * sorted), so it is built after the engine's answer, not streamed.
 */
import type { FastifyReply } from 'fastify';
import { canonicalStrata, strataCells } from '../../proto/query.js';
import { bgzfSync } from '../client/bgzf-writer.js';
import { afVcf, type VcfQuery } from '../client/vcf-export.js';
import type { AlleleFrequencyAnswer, Federation } from '../federation/types.js';

export const VCF = 'text/vcf';
export const GZIP = 'application/gzip';

/** The forms `?format=` names (it wins over Accept, for links that cannot set headers). */
export const FORMATS = ['json', 'ndjson', 'tsv', 'vcf', 'vcf.gz'] as const;
export type RequestedFormat = (typeof FORMATS)[number];

/** Why: `text/vcf` in Accept (with q > 0) asks for the VCF; checked before the NDJSON/TSV negotiation of stream-answer.ts. */
export function acceptsVcf(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(';').map((s) => s.trim());
    return type === VCF && !params.some((p) => /^q=0(?:\.0*)?$/.test(p));
  });
}

/** Why: the route's one place that turns a whole answer into the VCF body and its headers. */
export function sendVcf(reply: FastifyReply, federation: Federation, answer: AlleleFrequencyAnswer, query: VcfQuery, gz: boolean): FastifyReply {
  const by = query.by ?? [];
  const schema = federation.phenotypeSchema();
  const cells = by.length ? strataCells(schema, by) : [];
  const lines = afVcf(answer, { cells, query: { ...query, ...(by.length ? { by: canonicalStrata(schema, by) } : {}) } });
  const name = `genofed-${answer.queryId.replace(/[^A-Za-z0-9_.-]/g, '_')}.vcf${gz ? '.gz' : ''}`;
  reply.header('x-genofed-query-id', answer.queryId).header('content-disposition', `attachment; filename="${name}"`);
  if (gz) return reply.type(GZIP).send(bgzfSync(lines));
  return reply.type(`${VCF}; charset=utf-8`).send([...lines].join(''));
}
