/**
 * The bearer token, asked for once and kept in sessionStorage: it lives as
 * long as the tab and never reaches localStorage or a cookie (a cookie
 * would be sent without the page asking, and would make the API's bearer
 * check CSRF-prone). A link may carry it in the fragment (`#token=...`,
 * as `genofed demo --serve` prints): fragments are never sent to the
 * server, and the page removes it from the address bar at once.
 */
const KEY = 'genofed.token';

/** The token of this tab, taking one from the URL fragment first. */
export function currentToken(): string | null {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(KEY, decodeURIComponent(m[1]!));
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

/** After a 401 or "Forget token": the next call asks again. */
export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
