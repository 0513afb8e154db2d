/**
 * The coordinator's client for one site: mTLS channel that accepts only a
 * server certificate chained to the consortium CA AND naming the expected
 * site id; every call has a deadline; answers are validated (header,
 * layout, fingerprint, ciphertext count and order) before anyone may sum
 * them. Status codes from the wire are mapped in one place (`siteError`).
 */
import type { KeyObject } from 'node:crypto';
import { credentials, Metadata, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { inspectEnvelope } from '../../crypto/index.js';
import { certificateNames } from '../../proto/convert/identity.js';
import { signedQueryToWire } from '../../proto/convert/envelope.js';
import { commitmentFromWire, commitmentToWire, decodeCommitmentBody, type SignedCommitment } from '../../proto/convert/size-commitment.js';
import { namesFromWire, packVariantKeys, variantIdsFromWire, variantsFromWire, variantsToWire, verifySignedHeader, type AnswerHeader } from '../../proto/convert/variants.js';
import * as wire from '../../proto/generated/genofed/v1/node.js';
import { VARIANT_BATCH, packedLayout, sameLayout, type SignedQueryBytes, type SlotLayout } from '../../proto/query.js';
import type { KeyList, VariantKey } from '../../proto/variant.js';
import { PackedLineReader } from '../../proto/convert/packed-lines.js';
import { PackedKeyList } from '../../proto/convert/packed-key-list.js';
import type { SiteKeys } from './key-union.js';
import { CoordinatorError } from '../errors.js';

/**
 * Largest message the coordinator accepts: one ciphertext is 122,912 bytes
 * at the default preset (131,185 in SEAL's own format), a variant batch
 * ~0.5 MB; 8 MiB leaves room for larger presets without unbounded memory.
 */
const MAX_RECEIVE = 8 * 1024 * 1024;

export interface TlsMaterial {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** A complete, validated answer of one site. */
export interface SiteAnswer {
  readonly site: string;
  readonly header: AnswerHeader;
  /** Encrypted mode: ciphertexts in index order (empty when they were handed to `onCiphertext` as they came). */
  readonly ciphertexts: readonly Uint8Array[];
  /** Plaintext (benchmark) mode: the count vector. */
  readonly plain?: Uint32Array;
  readonly bytes: number;
}

export interface ExpectedAnswer {
  readonly queryId: string;
  readonly fingerprint: string;
  readonly rosterFingerprint: string;
  /** The kind's layout, one value per slot; a packed answer's (header pack bits) is packedLayout of it. */
  readonly layout: SlotLayout;
  /** Whether the site may pack (the kind states a field bound and DP is off), and the slots per ciphertext. */
  readonly packing?: { readonly slotCount: number };
  readonly plaintext: boolean;
  /**
   * Encrypted mode: each checked ciphertext as it arrives (the engine sums
   * chunk by chunk) instead of being kept in the answer; a throw fails the site.
   */
  readonly onCiphertext?: (index: number, data: Uint8Array) => void;
  /** The site's checked, signed header as it arrives (before any of its counts); a throw fails the site with that error. */
  readonly onHeader?: (header: AnswerHeader) => void;
}

/** Map any failure of a site call to one CoordinatorError naming the site (reason has no data). */
export function siteError(site: string, err: unknown): CoordinatorError {
  if (err instanceof CoordinatorError) return err;
  const e = err as Partial<ServiceError> | null;
  if (e && typeof e.code === 'number') {
    const nodeCode = e.metadata?.get('genofed-code')[0];
    const reason = typeof nodeCode === 'string'
      ? `refused with ${nodeCode}`
      : e.code === 4 ? 'deadline exceeded'
      : e.code === 14 ? `unavailable (${unavailableCategory(String(e.details ?? ''))})`
      : `gRPC status ${e.code}`;
    return new CoordinatorError('GENOFED_SITE_FAILED', `site ${site}: ${reason}`, { cause: err });
  }
  // Anything else (socket, TLS, parse): the text may carry addresses or
  // library internals, so researchers see a category; the coordinator's log
  // keeps the cause.
  return new CoordinatorError('GENOFED_SITE_FAILED', `site ${site}: failed`, { cause: err });
}

/**
 * A category for gRPC UNAVAILABLE details: they carry addresses and TLS
 * library text, which researchers must not see (the coordinator's log
 * keeps the details).
 */
function unavailableCategory(details: string): string {
  if (/certificate|ssl|tls|handshake/i.test(details)) return 'TLS handshake failed: certificate not accepted';
  if (/ECONNREFUSED|connection refused/i.test(details)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN|name resolution|DNS/i.test(details)) return 'address not resolved';
  if (/timed? ?out|ETIMEDOUT/i.test(details)) return 'connection timed out';
  return 'not reachable';
}

function invalid(site: string, what: string): CoordinatorError {
  return new CoordinatorError('GENOFED_SITE_FAILED', `site ${site}: invalid answer: ${what}`);
}

/** Per-site limits on what a node may send (config `limits`). */
export interface NodeClientLimits {
  /** Phase 1: most variant keys one site may stream; default 5,000,000 (the nodes' own maxVariants default). */
  readonly maxVariantKeys?: number;
}

/** Receive window per connection and stream (bytes). */
const FLOW_CONTROL_WINDOW = 16 * 1024 * 1024;

export class NodeClient {
  private readonly client: wire.NodeServiceClient;
  private readonly maxVariantKeys: number;

  /**
   * `signingKey`: the site's Ed25519 key from the roster; its answer
   * headers must be signed by it.
   */
  constructor(readonly site: string, address: string, tls: TlsMaterial, private readonly signingKey: KeyObject, limits: NodeClientLimits = {}) {
    this.maxVariantKeys = limits.maxVariantKeys ?? 5_000_000;
    const creds = credentials.createSsl(tls.ca, tls.key, tls.cert, {
      // The CA chain is checked by TLS; this pins WHICH site answers.
      checkServerIdentity: (_host, cert) => (certificateNames(cert, 'site', site) ? undefined : new Error(`server certificate does not name site ${site}`)),
    });
    this.client = new wire.NodeServiceClient(address, creds, {
      'grpc.max_receive_message_length': MAX_RECEIVE,
      // One channel per site; do not share connections between sites with the same address.
      'grpc.use_local_subchannel_pool': 1,
      // SNI may not be an IP address (RFC 6066); the identity check above does not use the host name.
      'grpc.ssl_target_name_override': `${site}.genofed.invalid`,
      'grpc.default_authority': `${site}.genofed.invalid`,
      // HTTP/2's default 64 KiB receive window stalls a site's stream of 123 KB ciphertexts on
      // window updates (a 1M-variant answer is 46 MB per site); 16 MiB lets it stream.
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW,
    });
  }

  private deadline(ms: number): Date {
    return new Date(Date.now() + ms);
  }

  info(ms: number): Promise<wire.InfoResponse> {
    return new Promise((resolve, reject) => {
      this.client.info({}, new Metadata(), { deadline: this.deadline(ms) }, (err, res) => (err ? reject(siteError(this.site, err)) : resolve(res)));
    });
  }

  health(ms: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.client.health({}, new Metadata(), { deadline: this.deadline(ms) }, (err, res) => (err ? reject(siteError(this.site, err)) : resolve(res.status === wire.HealthResponse_Status.STATUS_SERVING)));
    });
  }

  /**
   * Phase 1: the site's variant keys in a region. More than
   * `maxVariantKeys` cancels the stream and fails the site: a node (or
   * whoever holds its certificate) cannot make the coordinator hold an
   * unbounded union (5M keys as objects are ~1 GB of heap).
   */
  listVariants(q: SignedQueryBytes, ms: number, signal?: AbortSignal): Promise<(VariantKey & { readonly id?: string })[]> {
    return this.listing(q, ms, signal, 'variant keys', (b) => {
      // A lookup's keys carry the rs id each was resolved from.
      const ids = variantIdsFromWire(b);
      const items = variantsFromWire(b).map((k, i) => (ids[i] ? { ...k, id: ids[i] } : k));
      return { items, count: items.length };
    });
  }

  /**
   * Phase 1 (kind variant-keys): the site's keys kept as the packed lines
   * it sent (validated here, then dropped as objects), for the packed union
   * (key-union.ts): about 25 bytes per key instead of a key object each.
   */
  async listVariantKeys(q: SignedQueryBytes, ms: number, signal?: AbortSignal): Promise<SiteKeys> {
    const contigs = new Set<string>();
    let count = 0;
    const chunks = await this.listing(q, ms, signal, 'variant keys', (b) => {
      if (b.packed.length > 0 && b.variants.length === 0 && b.names.length === 0) {
        // Validated in place (packed-lines.ts): no key object per line.
        const r = new PackedLineReader(b.packed);
        let n = 0;
        while (r.next()) {
          n += 1;
          if (r.chromChanged) contigs.add(r.chrom());
        }
        count += n;
        return { items: [b.packed], count: n };
      }
      const keys = variantsFromWire(b);
      let chrom = '';
      for (const k of keys) if (k.chrom !== chrom) contigs.add((chrom = k.chrom));
      count += keys.length;
      return { items: keys.length === 0 ? [] : [packVariantKeys(keys)], count: keys.length };
    });
    return { chunks, count, contigs };
  }

  /** A name-listing kind (expression-genes): the site's names, as sent. */
  listNames(q: SignedQueryBytes, ms: number, signal?: AbortSignal): Promise<string[]> {
    return this.listing(q, ms, signal, 'names', (b) => {
      const items = namesFromWire(b);
      return { items, count: items.length };
    });
  }

  /** A listing's batches decoded (`count`: the keys or names a batch holds, for the limit). */
  private listing<T>(q: SignedQueryBytes, ms: number, signal: AbortSignal | undefined, what: string, decode: (b: wire.VariantBatch) => { items: T[]; count: number }): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const out: T[] = [];
      let n = 0;
      let settled = false;
      const call = this.client.listVariants(signedQueryToWire(q), new Metadata(), { deadline: this.deadline(ms) });
      const settle = (err: CoordinatorError | undefined): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve(out);
      };
      const fail = (err: CoordinatorError): void => {
        if (settled) return;
        settle(err);
        call.cancel();
      };
      const onAbort = (): void => fail(new CoordinatorError('GENOFED_SITE_FAILED', `site ${this.site}: query aborted`));
      signal?.addEventListener('abort', onAbort, { once: true });
      call.on('data', (b: wire.VariantBatch) => {
        if (settled) return;
        let got: { items: T[]; count: number };
        try {
          got = decode(b);
        } catch {
          return fail(invalid(this.site, `malformed ${what} batch`));
        }
        const items = got.items;
        n += got.count;
        // Checked before the batch is kept: at most one batch past the limit is ever decoded.
        if (n > this.maxVariantKeys) {
          return fail(new CoordinatorError('GENOFED_SITE_FAILED', `site ${this.site}: sent more ${what} than the limit (${this.maxVariantKeys}, coordinator config limits.maxVariantKeysPerSite)`));
        }
        for (const k of items) out.push(k);
      });
      call.on('error', (err) => settle(siteError(this.site, err)));
      call.on('end', () => settle(undefined));
    });
  }

  /**
   * Phase 2: send the signed envelope and the variant list; receive the
   * site's size commitment and hand it to `relay`, which resolves with
   * every roster member's commitment once all have arrived; send those;
   * then receive and validate the signed header and every ciphertext.
   * Resolves only with a complete answer; anything else rejects naming
   * the site.
   */
  aggregate(q: SignedQueryBytes, variants: KeyList, expected: ExpectedAnswer, ms: number, signal: AbortSignal | undefined, relay: (c: SignedCommitment) => Promise<readonly SignedCommitment[]>): Promise<SiteAnswer> {
    return new Promise((resolve, reject) => {
      const call: ClientDuplexStream<wire.AggregateRequest, wire.AggregateResponse> = this.client.aggregate(new Metadata(), { deadline: this.deadline(ms) });
      let committed = false;
      let header: AnswerHeader | undefined;
      const ciphertexts: Uint8Array[] = [];
      let received = 0;
      let plain: Uint32Array | undefined;
      let plainFilled = 0;
      let bytes = 0;
      let settled = false;
      const fail = (err: CoordinatorError): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        call.cancel();
        reject(err);
      };
      const onAbort = (): void => fail(new CoordinatorError('GENOFED_SITE_FAILED', `site ${this.site}: query aborted`));
      signal?.addEventListener('abort', onAbort, { once: true });
      const write = async (r: wire.AggregateRequest): Promise<void> => {
        if (!call.write(r)) await new Promise<void>((res) => call.once('drain', () => res()));
      };

      call.on('data', (m: wire.AggregateResponse) => {
        if (settled) return;
        const msg = m.msg;
        if (!committed) {
          if (msg?.$case !== 'sizeCommitment') return fail(invalid(this.site, 'first message is not a size commitment'));
          const c = commitmentFromWire(msg.value);
          let body;
          try {
            body = decodeCommitmentBody(c.body);
          } catch {
            return fail(invalid(this.site, 'malformed size commitment'));
          }
          // Routing checks only: the nodes verify signatures and open the boxes; the coordinator cannot.
          if (body.siteId !== this.site || body.queryId !== expected.queryId) return fail(invalid(this.site, 'size commitment names another site or query'));
          committed = true;
          relay(c).then(
            (all) => write({ msg: { $case: 'sizeRelay', value: { commitments: all.map(commitmentToWire) } } }).then(() => call.end()),
            (err: unknown) => fail(err instanceof CoordinatorError ? err : siteError(this.site, err)),
          ).catch((err: unknown) => fail(siteError(this.site, err)));
          return;
        }
        if (!header) {
          if (msg?.$case !== 'signedHeader') return fail(invalid(this.site, 'expected the signed header'));
          let h: AnswerHeader;
          try {
            h = verifySignedHeader(msg.value, this.signingKey);
          } catch {
            return fail(invalid(this.site, 'header is malformed or not signed by the site\'s roster key'));
          }
          if (h.siteId !== this.site) return fail(invalid(this.site, 'header names another site'));
          if (h.queryId !== expected.queryId) return fail(invalid(this.site, 'header names another query'));
          if (h.rosterFingerprint !== expected.rosterFingerprint) return fail(invalid(this.site, 'header names another roster'));
          if (h.plaintext !== expected.plaintext) return fail(invalid(this.site, 'plaintext flag differs from the request'));
          if (!expected.plaintext && h.cryptoFingerprint !== expected.fingerprint) return fail(invalid(this.site, 'BFV parameter fingerprint differs (ciphertexts under other parameters)'));
          const bits = h.packBits ?? 0;
          if (bits > 0 && !expected.packing) return fail(invalid(this.site, 'packed an answer that may not be packed (DP on, or a kind without a field bound)'));
          const want = bits > 0 ? packedLayout(expected.layout, bits, expected.packing!.slotCount) : expected.layout;
          if (!sameLayout({ counters: h.counters, populations: h.populations, valueCount: h.valueCount, ciphertextCount: h.ciphertextCount }, want)) return fail(invalid(this.site, 'slot layout differs from the request'));
          if (!(h.boundPerValue >= 1)) return fail(invalid(this.site, 'no bound per value'));
          if (!Number.isSafeInteger(h.samples) || h.samples < 0) return fail(invalid(this.site, 'no declared sample count'));
          header = h;
          if (expected.plaintext) plain = new Uint32Array(bits > 0 ? packedLayout(expected.layout, bits, expected.packing!.slotCount).slots : h.valueCount);
          if (expected.onHeader) {
            try {
              expected.onHeader(h);
            } catch (err) {
              return fail(err instanceof CoordinatorError ? err : invalid(this.site, 'header refused'));
            }
          }
          return;
        }
        if (expected.plaintext) {
          if (msg?.$case !== 'plain' || !plain) return fail(invalid(this.site, 'expected plaintext counts'));
          const { offset, values } = msg.value;
          if (offset !== plainFilled || offset + values.length > plain.length) return fail(invalid(this.site, 'plaintext counts out of order'));
          plain.set(values, offset);
          plainFilled += values.length;
          bytes += values.length * 4;
          return;
        }
        if (msg?.$case !== 'ciphertext') return fail(invalid(this.site, 'expected a ciphertext'));
        if (msg.value.index !== received) return fail(invalid(this.site, 'ciphertexts out of order'));
        if (received >= header.ciphertextCount) return fail(invalid(this.site, 'more ciphertexts than the layout'));
        // Authenticated by mTLS, but still checked before anything is summed: kind and parameter fingerprint.
        let info;
        try {
          info = inspectEnvelope(msg.value.data);
        } catch {
          return fail(invalid(this.site, 'malformed ciphertext'));
        }
        if (info.kind !== 'ciphertext') return fail(invalid(this.site, 'a message is not a ciphertext'));
        if (info.fingerprint !== expected.fingerprint) return fail(invalid(this.site, 'ciphertext made under other BFV parameters'));
        if (expected.onCiphertext) {
          try {
            expected.onCiphertext(received, msg.value.data);
          } catch (err) {
            return fail(err instanceof CoordinatorError ? err : invalid(this.site, 'a ciphertext could not be summed'));
          }
        } else {
          ciphertexts.push(new Uint8Array(msg.value.data));
        }
        received += 1;
        bytes += msg.value.data.length;
      });
      call.on('error', (err) => fail(siteError(this.site, err)));
      call.on('end', () => {
        if (settled) return;
        if (!header) return fail(invalid(this.site, committed ? 'no header' : 'no size commitment'));
        if (expected.plaintext ? plainFilled !== plain!.length : received !== header.ciphertextCount) {
          return fail(invalid(this.site, `incomplete answer (${expected.plaintext ? plainFilled : received} of ${expected.plaintext ? plain!.length : header.ciphertextCount})`));
        }
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve({ site: this.site, header, ciphertexts, ...(plain ? { plain } : {}), bytes });
      });

      // Request stream: envelope, then the variant list in batches (backpressure-aware); the relay follows the commitment.
      void (async () => {
        try {
          await write({ msg: { $case: 'query', value: signedQueryToWire(q) } });
          for (const batch of wireBatches(variants)) {
            if (settled) break;
            await write({ msg: { $case: 'variants', value: batch } });
          }
        } catch (err) {
          fail(siteError(this.site, err));
        }
      })();
    });
  }

  close(): void {
    this.client.close();
  }
}

/** A phase-2 list's wire batches, made once per list: every site is sent the same (weakly held: gone with the list). */
const batchesOfList = new WeakMap<KeyList, wire.VariantBatch[]>();

function wireBatches(variants: KeyList): wire.VariantBatch[] {
  let batches = batchesOfList.get(variants);
  if (!batches) {
    batches = [];
    if (variants instanceof PackedKeyList) batches = variants.wireBatches();
    else {
      for (let i = 0; i < variants.length; i += VARIANT_BATCH) {
        const part: VariantKey[] = [];
        for (let j = i; j < Math.min(variants.length, i + VARIANT_BATCH); j++) part.push(variants.at(j)!);
        batches.push(variantsToWire(part));
      }
    }
    batchesOfList.set(variants, batches);
  }
  return batches;
}
