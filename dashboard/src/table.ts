/** Tables, each downloadable as CSV (UTF-8 with a BOM, so that spreadsheet programs read Chinese right). */
import { h } from './dom';
import { num, t, type Text, type Word } from './i18n';

export interface Column<R> {
  label: Word | Text;
  /** What the cell and the CSV hold. */
  value(row: R): string | number;
  /** How the cell shows it, when not as text (a picture, a button, a percentage). */
  cell?(row: R): Node | string;
  /** The cell's CSS background, when its colour says something (a heat map's rate). */
  background?(row: R): string | undefined;
  numeric?: boolean;
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvOf<R>(columns: Column<R>[], rows: R[]): string {
  return [columns.map((column) => csvField(t(column.label))), ...rows.map((row) => columns.map((column) => csvField(column.value(row))))].join('\r\n') + '\r\n';
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob(['\uFEFF', text], { type: 'text/csv;charset=utf-8' }));
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A table of `rows` with a CSV button; `name` names the file (`rukou-<name>.csv`). */
export function table<R>(name: string, columns: Column<R>[], rows: R[]): HTMLElement {
  const head = h('tr', {}, ...columns.map((column) => h('th', column.numeric ? { class: 'num' } : {}, t(column.label))));
  const body = rows.map((row) =>
    h(
      'tr',
      {},
      ...columns.map((column) => {
        const value = column.value(row);
        const shown = column.cell ? column.cell(row) : typeof value === 'number' ? num(value) : value;
        const background = column.background?.(row);
        return h('td', { ...(column.numeric ? { class: 'num' } : {}), ...(background ? { style: `background: ${background}` } : {}) }, shown);
      }),
    ),
  );
  const button = h('button', { class: 'csv', type: 'button', 'data-csv': name, onclick: () => download(`rukou-${name}.csv`, csvOf(columns, rows)) }, t('csv'));
  return h('div', { class: 'table', 'data-table': name }, h('div', { class: 'table-tools' }, button), h('div', { class: 'scroll' }, h('table', {}, h('thead', {}, head), h('tbody', {}, ...body))));
}
