/**
 * `genofed coordinator init`: the coordinator's own keys, made on the
 * coordinator host (key ceremony, deploy/README.md). Secret, never leave
 * the host: the TLS client key, the Ed25519 key that signs every query,
 * and the BFV secret key (the only key that decrypts network totals).
 * Public, sent to others:
 *
 * - `coordinator.csr.pem` to the CA operator (`CN=<id>`,
 *   `URI:urn:genofed:coordinator:<id>`);
 * - `coordinator-public.json` to whoever assembles the roster (id, signing
 *   key, SHA-256 of `bfv.pk`, preset);
 * - `bfv.pk` to every site with the sealed roster (each node checks its
 *   SHA-256 against the roster before encrypting under it).
 *
 * Same hygiene as `network init`: a temporary folder renamed into place,
 * an existing folder refused, secrets 0600.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { coordinatorUri } from '../../proto/convert/identity.js';
import { bfvKeyDigest, publicKeyBase64 } from '../../proto/roster.js';
import { CoordinatorError } from '../errors.js';
import { writeBfvKeys } from './bfv-keys.js';
import { coordinatorPublicText, keyFingerprint } from './ceremony-files.js';
import { buildFolder, putFile } from './files.js';
import { createKeyAndCsr } from '../../proto/convert/csr.js';

export const COORDINATOR_FILES = {
  tlsKey: 'coordinator.key.pem',
  csr: 'coordinator.csr.pem',
  signing: 'signing.key.pem',
  bfvSecret: 'bfv.sk',
  bfvPublic: 'bfv.pk',
  public: 'coordinator-public.json',
} as const;

export interface CoordinatorInitOptions {
  readonly out: string;
  readonly id: string;
  /** BFV parameters: `default` for real use, `test` only for tests. */
  readonly preset?: 'default' | 'test';
}

export interface CoordinatorInitResult {
  readonly dir: string;
  readonly id: string;
  readonly preset: 'default' | 'test';
  readonly signingFingerprint: string;
  readonly bfvPublicKeySha256: string;
  /** SHA-256 (hex) of the public files, for `sha256sum` on the receiving end. */
  readonly publicFileSha256: string;
  readonly csrSha256: string;
}

const ID = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

export async function coordinatorInit(o: CoordinatorInitOptions): Promise<CoordinatorInitResult> {
  if (!ID.test(o.id)) throw new CoordinatorError('GENOFED_USAGE', '--id: an id is 1-63 of [a-z0-9._-], starting with a letter or digit');
  const preset = o.preset ?? 'default';
  const dir = resolve(o.out);
  return buildFolder(dir, async (tmp) => {
    const tls = await createKeyAndCsr({ commonName: o.id, uri: coordinatorUri(o.id) });
    await putFile(join(tmp, COORDINATOR_FILES.tlsKey), tls.keyPem, true);
    await putFile(join(tmp, COORDINATOR_FILES.csr), tls.csrPem, false);
    const signing = generateKeyPairSync('ed25519');
    await putFile(join(tmp, COORDINATOR_FILES.signing), signing.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), true);
    const bfv = await writeBfvKeys(tmp, preset);
    // The digest of the file as written: sites hash the file they receive.
    const bfvDigest = bfvKeyDigest(await readFile(bfv.publicKey));
    const signingKey = publicKeyBase64(signing.publicKey);
    const publicText = coordinatorPublicText({ id: o.id, signingKey, bfvPublicKeySha256: bfvDigest, preset });
    await putFile(join(tmp, COORDINATOR_FILES.public), publicText, false);
    return {
      dir,
      id: o.id,
      preset,
      signingFingerprint: keyFingerprint(signingKey),
      bfvPublicKeySha256: bfvDigest,
      publicFileSha256: sha256(publicText),
      csrSha256: sha256(tls.csrPem),
    };
  });
}
