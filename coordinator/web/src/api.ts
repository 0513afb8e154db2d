/**
 * Calls to the coordinator's REST API on the page's own origin, each with
 * the bearer token. Errors keep the API's stable code and message (they
 * never carry data: the server's rule). The allele-frequency answer is
 * read as NDJSON (Accept: application/x-ndjson) so the page can count rows
 * while a large answer streams instead of waiting for one JSON document.
 */

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

async function failure(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || 'request failed';
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch { /* not a genofed error body */ }
  return new ApiError(res.status, code, message);
}

function headers(token: string, accept = 'application/json'): HeadersInit {
  return { authorization: `Bearer ${token}`, accept, 'content-type': 'application/json' };
}

export async function getJson<T>(path: string, token: string): Promise<T> {
  const res = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

export async function postJson<T>(path: string, body: unknown, token: string): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: headers(token), body: JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/**
 * POST with `Accept: application/x-ndjson`: rows as they arrive
 * (`onProgress` after each network chunk with the rows so far), then the
 * summary line. An `{"type":"error"}` line (a failure after rows were
 * sent) or a body that ends without a summary is an error: the rows read
 * are not the whole answer.
 */
export async function postNdjson<R, S>(path: string, body: unknown, token: string, onProgress: (rows: number) => void): Promise<{ rows: R[]; summary: S }> {
  const res = await fetch(path, { method: 'POST', headers: headers(token, 'application/x-ndjson'), body: JSON.stringify(body) });
  if (!res.ok) throw await failure(res);
  if (!res.body) throw new ApiError(res.status, 'GENOFED_API_RESPONSE', 'the answer has no body');
  const rows: R[] = [];
  let summary: S | null = null;
  let rest = '';
  const take = (line: string): void => {
    if (line === '') return;
    const o = JSON.parse(line) as { type: string; error?: { code: string; message: string } };
    if (o.type === 'row') {
      const { type: _t, ...row } = o;
      rows.push(row as R);
    } else if (o.type === 'summary') {
      const { type: _t, ...s } = o;
      summary = s as S;
    } else if (o.type === 'error') {
      throw new ApiError(res.status, o.error?.code ?? 'GENOFED_INTERNAL', `${o.error?.message ?? 'failed'} (after ${rows.length} rows: the answer is incomplete)`);
    }
  };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const lines = (rest + value).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) take(l);
    onProgress(rows.length);
  }
  take(rest);
  if (summary === null) throw new ApiError(res.status, 'GENOFED_API_RESPONSE', `the answer ended after ${rows.length} rows without its summary: it is incomplete`);
  return { rows, summary };
}
