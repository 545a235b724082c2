/**
 * Tables, each downloadable as CSV (UTF-8 with a BOM, so that spreadsheet programs read Chinese
 * right). The CSV holds what the table shows, rounded as it is shown (a cut table: its rows not
 * drawn too); numbers bare (no grouping), so that a spreadsheet reads them as numbers; a column of
 * buttons is left out.
 */
import { h } from './dom';
import { num, showing, t, type Text, type Word } from './i18n';
import { csvField } from './csv';

export interface Column<R> {
  label: Word | Text;
  /**
   * What the cell shows and the CSV holds, as the operator reads it: a rate as its rounded
   * percentage, "—" while unknown. A number is shown with the language's grouping and written bare,
   * both with `digits` decimals. Absent for a column of buttons, which the CSV leaves out.
   */
  value?(row: R): string | number;
  /** A cell that is not only text: a picture (the CSV holds its `value`, its address), a button, a name beside the operator's own text. */
  cell?(row: R): Node | string;
  /** The cell's CSS background, when its colour says something (a heat map's rate). */
  background?(row: R): string | undefined;
  numeric?: boolean;
  /** Decimals a numeric value is shown and written with (0). */
  digits?: number;
  /** Its cells are data shown as they are (keys, ids, the operator's names, the catalog's), in neither of the page's languages. */
  raw?: boolean;
}

function csvOf<R>(columns: Column<R>[], rows: R[]): string {
  const written = columns.flatMap(({ label, value, digits }) => (value ? [{ label, value, digits }] : []));
  return [written.map((column) => csvField(t(column.label))), ...rows.map((row) => written.map((column) => csvField(column.value(row), column.digits)))].join('\r\n') + '\r\n';
}

/**
 * Saves `text` as the file `name`. A data: URL, not a blob's: a blob URL had to be revoked some
 * time after the click, and on a busy machine the browser had not read it yet (no download).
 */
function download(name: string, text: string): void {
  const link = h('a', { href: `data:text/csv;charset=utf-8,${encodeURIComponent(`\uFEFF${text}`)}`, download: name });
  document.body.append(link);
  link.click();
  link.remove();
}

/** The kind of a column's cells: numbers (to the right), buttons (tests and the CSV leave them out), or text, which may be cut short. */
const kindOf = <R>(column: Column<R>): 'num' | 'action' | 'text' => (column.numeric ? 'num' : column.value ? 'text' : 'action');

/**
 * A list cut short: `rows` are the first of `total`, and the table draws only the first `shown` of
 * them (a page of pictures and cards stays quick), while its CSV holds every one of `rows`.
 */
export interface Cut {
  shown: number;
  total: number;
}

/**
 * A table of `rows` with a CSV button; `name` names the file (`rukou-<name>.csv`); without rows,
 * it says there is no data. Cut (`cut`), it draws the first rows and says beside the button how
 * many of how many it shows and how many its CSV holds. It fits its
 * panel (style.css): a text cell (a scene's name, a path, a key) wraps and is cut after a few
 * lines, its full text in its title; in a narrow panel (a phone) each row is a card of its cells,
 * each cell under its column's name (`data-label`), so that every number is seen without
 * scrolling sideways.
 */
export function table<R>(name: string, columns: Column<R>[], rows: R[], cut?: Cut): HTMLElement {
  // a table of no row would be its headers alone
  if (rows.length === 0) return h('div', { class: 'table', 'data-table': name }, h('p', { class: 'empty' }, t('noData')));
  const head = h('tr', {}, ...columns.map((column) => h('th', { class: kindOf(column) }, t(column.label))));
  const drawn = cut ? rows.slice(0, cut.shown) : rows;
  const body = drawn.map((row) =>
    h(
      'tr',
      {},
      ...columns.map((column) => {
        const kind = kindOf(column);
        const value = column.value?.(row) ?? '';
        const shown = column.cell ? column.cell(row) : typeof value === 'number' ? num(value, column.digits) : value;
        const background = column.background?.(row);
        const attributes: Record<string, string | boolean> = { class: kind, 'data-label': t(column.label), 'data-raw': column.raw === true };
        if (kind === 'text' && value !== '') attributes.title = String(value);
        if (background) attributes.style = `background: ${background}`;
        return h(
          'td',
          attributes,
          kind === 'text' ? h('div', { class: 'clip' }, shown) : shown,
        );
      }),
    ),
  );
  const button = h('button', { class: 'csv', type: 'button', 'data-csv': name, onclick: () => download(`rukou-${name}.csv`, csvOf(columns, rows)) }, t('csv'));
  const more = cut && cut.total > drawn.length ? h('span', { class: 'note', 'data-shown': String(drawn.length), 'data-total': String(cut.total), 'data-csv-rows': String(rows.length) }, showing(drawn.length, cut.total, rows.length)) : null;
  return h('div', { class: 'table', 'data-table': name }, h('div', { class: 'table-tools' }, more, button), h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, head), h('tbody', {}, ...body))));
}
