/**
 * `alignmentScanText`: a SAM/BAM as SAM text lines for `genofed scan`,
 * which looks for identifiers in text. BAM records are decoded to the same
 * text `samtools view` prints, so a pattern written for SAM finds the same
 * thing in a BAM. `where` names a header line or record number, never data.
 */
import { readAlignment, samLine } from './alignment-records.js';

/** Every header line and record of a SAM/BAM as SAM text, with where it is. */
export async function* alignmentScanText(path: string, signal?: AbortSignal): AsyncGenerator<{ text: string; where: string }> {
  for await (const item of readAlignment(path, undefined, signal)) {
    if (item.kind === 'header') {
      const lines = item.text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!;
        if (l) yield { text: l, where: `header line ${i + 1}` };
      }
    } else {
      yield { text: samLine(item.record), where: `record ${item.number}` };
    }
  }
}
