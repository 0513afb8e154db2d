/**
 * Test helper (not a test): every route a Fastify app has registered, as
 * method + path, read from `app.printRoutes()` (the router's own tree), so
 * a test covering "every route" picks up routes added later (Beacon, the
 * web page) without a list of its own.
 */
import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  readonly method: string;
  /** The path as declared (`:param`, `*`). */
  readonly url: string;
}

/**
 * printRoutes draws the radix tree four columns per level
 * (`├── segment (GET, HEAD)`); a node's path is its parent's plus its
 * segment, and only nodes with methods are routes.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const stack: string[] = [];
  const out: RegisteredRoute[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const m = /^([│├└─\s]*)(\S.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (depth > 0 ? stack[depth - 1] ?? '' : '') + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of m[3]?.split(', ') ?? []) out.push({ method, url: path });
  }
  return out;
}

/** Fastify's `:param` as OpenAPI's `{param}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
