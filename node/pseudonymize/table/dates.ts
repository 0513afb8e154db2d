/**
 * Dates in tables: a per-person shift derived from the site key, or
 * generalization to the year (DESIGN.md: "shift by a per-person offset kept
 * at the site, or generalize to year").
 *
 * The offset is HMAC-derived (id type 'date-shift' of the person's id), so
 * the same person gets the same offset in every table of the site and
 * intervals between that person's dates are preserved exactly; it is never
 * 0 and lies in [-180, -1] or [1, 180] days (half a year: seasonality is
 * blurred while age at event stays within a year).
 */
import { Pseudonymizer } from '../pseudonym.js';
import type { SiteKey } from '../site-key.js';

export const MAX_SHIFT_DAYS = 180;

export class DateShifter {
  private readonly hmac: Pseudonymizer;
  private readonly memo = new Map<string, number>();
  constructor(key: SiteKey) {
    this.hmac = new Pseudonymizer(key, 'date-shift');
  }

  /** Days to add to every date of this person. */
  offsetDays(personId: string): number {
    const id = personId.trim().normalize('NFC');
    let v = this.memo.get(id);
    if (v === undefined) {
      const r = this.hmac.digestNormalized(id).readUInt32BE(0) % (2 * MAX_SHIFT_DAYS);
      v = r < MAX_SHIFT_DAYS ? r - MAX_SHIFT_DAYS : r - MAX_SHIFT_DAYS + 1;
      this.memo.set(id, v);
    }
    return v;
  }
}

/** YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD or YYYYMMDD, optionally followed by a time ('T' or ' '). */
const DATE = /^(\d{4})([-/.]?)(\d{2})\2(\d{2})((?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)$/;

export interface ParsedDate {
  year: number;
  month: number;
  day: number;
  sep: string;
  time: string;
}

export function parseDate(value: string): ParsedDate | null {
  const m = DATE.exec(value.trim());
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[3]);
  const day = Number(m[4]);
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return { year, month, day, sep: m[2] ?? '', time: m[5] ?? '' };
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** Shift by whole days, keeping the format (separator, time of day). */
export function shiftDate(p: ParsedDate, days: number): string {
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + days));
  return `${pad(d.getUTCFullYear(), 4)}${p.sep}${pad(d.getUTCMonth() + 1, 2)}${p.sep}${pad(d.getUTCDate(), 2)}${p.time}`;
}

/** Days between two dates (b - a). */
export function daysBetween(a: ParsedDate, b: ParsedDate): number {
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}
