/**
 * PLACEHOLDER for issue 12 (retention and goals by entry point), which `admin` does not answer on
 * this branch yet. A placeholder section calls its action; when `admin` answers the unknown-action
 * refusal it says "not available on this backend", and when it answers, it shows the first list of
 * rows it finds as a table, until issue 12 replaces `draw` with the section's own view (the cohort
 * heat map, the goals by attribution model).
 */
import { AdminError } from '../api';
import { h } from '../dom';
import { t } from '../i18n';
import { table } from '../table';
import { empty } from './section';

type Row = Record<string, unknown>;

const isRow = (value: unknown): value is Row => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first array of objects in an answer, depth first. */
function firstRows(value: unknown): Row[] | undefined {
  if (Array.isArray(value)) return value.every(isRow) && value.length > 0 ? value : undefined;
  if (!isRow(value)) return undefined;
  for (const child of Object.values(value)) {
    const rows = firstRows(child);
    if (rows) return rows;
  }
  return undefined;
}

/** Calls `action`; draws "not available" for an unknown action, else the answer's first rows. */
export async function drawPlaceholder(body: HTMLElement, name: string, call: () => Promise<unknown>): Promise<void> {
  let answer: unknown;
  try {
    answer = await call();
  } catch (error) {
    if (error instanceof AdminError && error.unknownAction) return void body.append(h('p', { class: 'unavailable', 'data-unavailable': name }, t('notAvailable')));
    throw error;
  }
  const rows = firstRows(answer);
  if (!rows) return void body.append(empty());
  const keys = Object.keys(rows[0]).filter((key) => rows.some((row) => typeof row[key] !== 'object'));
  body.append(table(name, keys.map((key) => ({ label: { zh: key, en: key }, value: (row: Row) => (typeof row[key] === 'number' ? (row[key] as number) : String(row[key] ?? '')) })), rows));
}
