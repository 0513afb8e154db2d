/**
 * Progress of a network query on a terminal (stderr only, and only when
 * stderr is a TTY, so pipes and logs get nothing): one line rewritten in
 * place, cleared when the answer is complete. Streamed answers count rows
 * as they arrive; whole answers (JSON, wide, VCF, assoc, expr, eqtl) show
 * the seconds spent waiting for the sites.
 */

const tty = (): boolean => process.stderr.isTTY === true;
const show = (text: string): void => {
  if (tty()) process.stderr.write(`\r\x1b[2K${text}`);
};

/** Why: rows of a streamed answer counted as they pass; the count every 65,536 rows (a line per row would cost more than the rows). */
export function rowProgress(): { count: <T>(rows: AsyncIterable<T>) => AsyncGenerator<T>; done: () => void; rows: number } {
  const state = { rows: 0 };
  show('genofed: waiting for the sites...');
  return {
    async *count(rows) {
      for await (const r of rows) {
        state.rows += 1;
        if ((state.rows & 0xffff) === 0) show(`genofed: ${state.rows.toLocaleString('en')} rows received`);
        yield r;
      }
    },
    done: () => show(''),
    get rows() {
      return state.rows;
    },
  };
}

/** Why: a whole answer arrives at once; the line says the query is alive (seconds waited, once a second) until it does. */
export async function waitingFor<T>(answer: Promise<T>): Promise<T> {
  if (!tty()) return answer;
  const started = Date.now();
  show('genofed: waiting for the sites...');
  const timer = setInterval(() => show(`genofed: waiting for the sites... ${Math.round((Date.now() - started) / 1000)} s`), 1000);
  timer.unref();
  try {
    return await answer;
  } finally {
    clearInterval(timer);
    show('');
  }
}
