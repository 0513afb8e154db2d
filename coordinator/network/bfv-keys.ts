/**
 * The coordinator's BFV key pair for a new consortium, written with
 * crypto/'s key-file helpers (secret key 0600, atomic). Returns the public
 * key bytes too, so `network init` can copy them into every site folder.
 */
import { join } from 'node:path';
import { createBfv, getPreset, writePublicKeyFile, writeSecretKeyFile } from '../../crypto/index.js';

export interface BfvKeyFiles {
  readonly publicKey: string;
  readonly secretKey: string;
  readonly publicKeyBytes: Uint8Array;
}

export async function writeBfvKeys(dir: string, preset: 'default' | 'test'): Promise<BfvKeyFiles> {
  const bfv = await createBfv(getPreset(preset));
  try {
    const { publicKey, secretKey } = bfv.generateKeys();
    const paths = { publicKey: join(dir, 'bfv.pk'), secretKey: join(dir, 'bfv.sk') };
    await writeSecretKeyFile(paths.secretKey, secretKey);
    await writePublicKeyFile(paths.publicKey, publicKey);
    return { ...paths, publicKeyBytes: publicKey };
  } finally {
    bfv.dispose();
  }
}
