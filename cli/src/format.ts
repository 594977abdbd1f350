import { API_STATES, type Labels } from '@flotilla/proto/api';
import { stringify } from 'yaml';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | boolean | undefined;
}

const EMPTY = '-';

/**
 * Columns aligned with two spaces between them; headers upper case; the last column is not padded.
 * With no rows, `empty` (e.g. "No clusters.") when given, else the header alone.
 */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty?: string): string {
  if (rows.length === 0 && empty !== undefined) return empty;
  const cells = rows.map((r) => columns.map((c) => cellText(c.value(r))));
  const headers = columns.map((c) => c.header.toUpperCase());
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => width(row[i] ?? ''))));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/** `Key:  value` lines with the values aligned, for one resource (`get` commands). */
export function details(pairs: readonly [string, string | number | boolean | undefined][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length + 1));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w)}  ${cellText(v)}`).join('\n');
}

/** A titled section (a sub-table under a `get`); an empty list says so instead of printing a bare header. */
export function section(title: string, body: string | undefined): string {
  return `\n${title}:\n${body === undefined ? '  (none)' : indent(body, 2)}`;
}

export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

/** The whole result as JSON or YAML, or the table renderer's text. Always ends in a newline. */
export function render<T>(format: OutputFormat, data: T, asTable: (data: T) => string): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  if (format === 'yaml') return stringify(data, { lineWidth: 0 });
  const text = asTable(data);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** Position in the state vocabulary: higher is worse; unknown states count as worst. */
export function stateRank(state: string): number {
  const i = (API_STATES as readonly string[]).indexOf(state);
  return i < 0 ? API_STATES.length : i;
}

/** Worst state first, then by name: what needs attention is at the top. Does not mutate. */
export function worstFirst<T>(rows: readonly T[], stateOf: (r: T) => string, nameOf: (r: T) => string): T[] {
  return [...rows].sort((a, b) => stateRank(stateOf(b)) - stateRank(stateOf(a)) || nameOf(a).localeCompare(nameOf(b)));
}

export function byName<T extends { name: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => a.name.localeCompare(b.name));
}

/** A commit or digest shortened for a table (`sha256:` prefixes kept out). */
export function short(id: string | undefined, n = 7): string | undefined {
  if (!id) return undefined;
  return id.replace(/^sha256:/, '').slice(0, n);
}

export function labelsText(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? EMPTY : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** Age like kubectl: 45s, 12m, 3h, 5d; undefined when unknown. */
export function age(iso: string | undefined, now: Date): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return duration(Math.max(0, Math.floor((now.getTime() - t) / 1000)));
}

function duration(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** How long until `iso`, as `age` says how long since: `12s`, `4m`; `now` once it is due. */
export function until(iso: string | undefined, now: Date): string | undefined {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return t <= now.getTime() ? 'now' : `in ${duration(Math.ceil((t - now.getTime()) / 1000))}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}KiB`;
  return `${(n / 1024 / 1024).toFixed(1)}MiB`;
}

export function list(values: readonly string[] | undefined): string {
  return values && values.length > 0 ? values.join(',') : EMPTY;
}

function cellText(v: string | number | boolean | undefined): string {
  if (v === undefined || v === '') return EMPTY;
  // One row per line: a multi-line message would break the columns.
  return String(v).replace(/\s*\n\s*/g, ' ');
}

function width(s: string): number {
  return [...s].length;
}
