/**
 * RFC 4648 base32, lower-case alphabet (a-z2-7), no padding. Lower case
 * because pseudonyms end up in VCF headers, file names and spreadsheets,
 * where case-folding tools would otherwise turn one pseudonym into another.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** Encode the first `chars` base32 characters (5 bits each) of `bytes`. */
export function base32(bytes: Uint8Array, chars = Math.ceil((bytes.length * 8) / 5)): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length && out.length < chars; i++) {
    buffer = ((buffer << 8) | bytes[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (out.length < chars && bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
