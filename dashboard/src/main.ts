/**
 * The operator's web dashboard: a sign-in screen for the operator's token (kept in this tab's
 * sessionStorage only), then a range bar and the sections of `sections/index.ts`, each drawn from
 * `admin` answers through HTTP access. Chinese by default, English at a click.
 */
import { AdminError, adminClient, adminUrl, type Admin } from './api';
import { disposeWithin } from './charts';
import { failure } from './failure';
import { h } from './dom';
import { currentLang, setLang, t, type Text, type Word } from './i18n';
import { SECTIONS } from './sections';
import { cleanToken, forgetToken, keepToken, storedToken } from './session';
import type { Answers } from './answers';
import { missingNotes, type Range, type Section, type SectionContext } from './sections/section';
import { addDays, chinaDay, daysBetween, previousPeriod } from '../../shared/time';

const DEFAULT_DAYS = 14;
const PRESETS: [Word, number][] = [
  ['last7', 7],
  ['last14', 14],
  ['last30', 30],
  ['last45', 45],
  ['last90', 90],
];

interface State {
  admin: Admin;
  today: string;
  /** The answer the start learned today from, drawn by the first "today so far" instead of asking again. */
  firstToday?: Answers['today'];
  range: Range;
  compare: boolean;
}

const root = document.getElementById('app') as HTMLElement;
/** Bumped by every new drawing of the page: a section still loading for an older one draws nothing. */
let generation = 0;
let refresher: number | undefined;

/** The sign-in screen, saying `message` when there is one (why the last token was of no use); the token kept so far is forgotten. */
function signIn(url: string, message?: Word | Text): void {
  generation++;
  window.clearInterval(refresher);
  forgetToken();
  disposeWithin(root);
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, 'data-control': 'token' });
  const form = h(
    'form',
    { class: 'sign-in' },
    h('h1', {}, t('title')),
    h('h2', {}, t('signInTitle')),
    message ? h('p', { class: 'error', 'data-error': 'token' }, t(message)) : null,
    h('p', { class: 'note' }, t('signInHint')),
    h('label', {}, t('token'), input),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, t('signIn')), languageButton(() => signIn(url, message))),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // a token that cannot be sent is refused here, saying why, and never kept
    const typed = cleanToken(input.value);
    if ('problem' in typed) return signIn(url, typed.problem);
    keepToken(typed.token);
    void start(url);
  });
  root.replaceChildren(form);
  input.focus();
}

function languageButton(redraw: () => void): HTMLElement {
  return h('button', { type: 'button', class: 'lang', 'data-control': 'lang', onclick: () => (setLang(currentLang() === 'zh' ? 'en' : 'zh'), redraw()) }, t('language'));
}

function signOutButton(url: string): HTMLElement {
  return h('button', { type: 'button', class: 'sign-out', 'data-control': 'sign-out', onclick: () => signIn(url) }, t('signOut'));
}

/** What `load` answers, asked once: a failure is asked again by the next call (a section's retry). */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let asked: Promise<T> | undefined;
  return () =>
    (asked ??= load().catch((error: unknown) => {
      asked = undefined;
      throw error;
    }));
}

/**
 * Draws one section into its panel, with its loading and error states, and under a section of the
 * range the range's days without a rollup (those before the data begins apart), whether it drew
 * something or nothing; a token of no use signs out. Drawn again while it shows what it drew
 * (today's minute refresh), it keeps that until the new drawing is ready: the panel is not emptied
 * meanwhile, so the page below it does not jump.
 */
async function drawSection(section: Section, body: HTMLElement, context: SectionContext, url: string, mine: number): Promise<void> {
  if (body.getAttribute('data-state') !== 'ready') {
    disposeWithin(body);
    body.replaceChildren(h('p', { class: 'loading' }, t('loading')));
    body.setAttribute('data-state', 'loading');
  }
  const content = h('div', {});
  try {
    const [, overview] = await Promise.all([section.draw(content, context), section.ranged ? context.overview() : undefined]);
    if (mine !== generation) return;
    // the charts drawn before, not the new ones (still in `content`)
    disposeWithin(body);
    body.replaceChildren(...content.childNodes, ...(overview ? missingNotes(overview) : []));
    body.setAttribute('data-state', 'ready');
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof AdminError && error.signedOut) return signIn(url, 'badToken');
    disposeWithin(body);
    body.replaceChildren(
      ...failure(error),
      h('button', { type: 'button', onclick: () => void drawSection(section, body, context, url, mine) }, t('retry')),
    );
    body.setAttribute('data-state', 'error');
  }
}

/** Today is not a day of a range: it has no rollup until tomorrow (a range with it showed a false drop), and its own live panel. */
const RANGE_FUTURE: Text = { zh: '范围最晚到昨天：今天的数据见「今日实时」。', en: 'A range ends yesterday at the latest: today is in "Today so far".' };

function rangeBar(state: State, redraw: () => void): HTMLElement {
  const yesterday = addDays(state.today, -1);
  const from = h('input', { type: 'date', value: state.range.from, max: yesterday, 'data-control': 'from' });
  const to = h('input', { type: 'date', value: state.range.to, max: yesterday, 'data-control': 'to' });
  const presets = PRESETS.map(([word, days]) => {
    const range = { from: addDays(state.today, -days), to: addDays(state.today, -1) };
    const active = range.from === state.range.from && range.to === state.range.to;
    return h('button', { type: 'button', class: active ? 'preset active' : 'preset', 'data-preset': String(days), onclick: () => ((state.range = range), redraw()) }, t(word));
  });
  const compare = h('input', { type: 'checkbox', 'data-control': 'compare', ...(state.compare ? { checked: true } : {}) });
  compare.addEventListener('change', () => ((state.compare = compare.checked), redraw()));
  const problem = h('span', { class: 'error', 'data-range-problem': '' });
  const applyRange = (): void => {
    // a range the backend would refuse (backwards, past 366 days), or one reaching today or later, is not sent, and the operator is told why
    const days = from.value && to.value ? daysBetween(from.value, to.value) : NaN;
    const refusal = Number.isNaN(days) ? t('rangeIncomplete') : days < 0 ? t('rangeBackwards') : days >= 366 ? t('rangeTooLong') : to.value > yesterday ? t(RANGE_FUTURE) : '';
    problem.textContent = refusal;
    if (refusal) return;
    state.range = { from: from.value, to: to.value };
    redraw();
  };
  // Enter in a date applies the range, as in a form
  for (const input of [from, to]) input.addEventListener('keydown', (event) => event.key === 'Enter' && applyRange());
  const apply = h('button', { type: 'button', 'data-control': 'apply', onclick: applyRange }, t('apply'));
  return h('div', { class: 'range-bar' }, h('div', { class: 'presets' }, ...presets), h('div', { class: 'custom' }, h('label', {}, t('from'), from), h('label', {}, t('to'), to), apply, problem), h('label', { class: 'compare' }, compare, t('compare')));
}

/**
 * The control the keyboard is on, as a selector that finds it in the page drawn anew: a preset,
 * Apply or the language button redraws the whole page, and the keyboard would start over at its top.
 */
function focusedControl(): string | undefined {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !root.contains(active)) return undefined;
  for (const name of ['data-control', 'data-preset']) {
    const value = active.getAttribute(name);
    if (value !== null) return `[${name}="${CSS.escape(value)}"]`;
  }
  return undefined;
}

function draw(state: State, url: string): void {
  const mine = ++generation;
  const focused = focusedControl();
  window.clearInterval(refresher);
  disposeWithin(root);
  const context: SectionContext = {
    admin: state.admin,
    range: state.range,
    previous: previousPeriod(state.range.from, state.range.to),
    compare: state.compare,
    today: state.today,
    sawToday: (day) => {
      // a page left open past midnight: the presets and the picker's last day follow the backend's new day (the range shown stays as chosen)
      if (day <= state.today) return;
      state.today = context.today = day;
      const next = rangeBar(state, redraw);
      bar.replaceWith(next);
      bar = next;
    },
    overview: once(() => state.admin<Answers['overview']>('overview', { ...state.range })),
    todaySoFar: () => {
      const first = state.firstToday;
      state.firstToday = undefined;
      return first ? Promise.resolve(first) : state.admin<Answers['today']>('today');
    },
  };
  const redraw = (): void => draw(state, url);
  let bar = rangeBar(state, redraw);
  const panels = SECTIONS.map((section) => {
    const body = h('div', { class: 'panel-body' });
    return { section, body, panel: h('section', { class: 'panel', id: section.id, 'data-section': section.id }, h('h2', {}, t(section.title)), body) };
  });
  root.replaceChildren(
    h(
      'header',
      {},
      h('h1', {}, t('title')),
      h('div', { class: 'row' }, languageButton(redraw), signOutButton(url)),
    ),
    bar,
    h('nav', {}, ...panels.map(({ section }) => h('a', { href: `#${section.id}` }, t(section.title)))),
    h('main', {}, ...panels.map(({ panel }) => panel)),
  );
  if (focused) root.querySelector<HTMLElement>(focused)?.focus();
  for (const { section, body } of panels) void drawSection(section, body, context, url, mine);
  const refreshed = panels.filter(({ section }) => section.refreshMs !== undefined);
  if (refreshed.length > 0) {
    refresher = window.setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      for (const { section, body } of refreshed) void drawSection(section, body, context, url, mine);
    }, Math.min(...refreshed.map(({ section }) => section.refreshMs as number)));
  }
}

/**
 * Signed in: learns today from the backend's clock (not the browser's), then draws the 14 days to
 * yesterday beside the 14 before them (the demo's 45 days hold both).
 */
async function start(url: string): Promise<void> {
  const stored = storedToken();
  if (!stored) return signIn(url);
  // a token kept before this check existed, or put there by hand, is checked again on a reload
  const token = cleanToken(stored);
  if ('problem' in token) return signIn(url, token.problem);
  const admin = adminClient(url, token.token);
  root.replaceChildren(h('p', { class: 'loading' }, t('loading')));
  try {
    const firstToday = await admin<Answers['today']>('today');
    const today = chinaDay(Date.parse(firstToday.asOf));
    draw({ admin, today, firstToday, range: { from: addDays(today, -DEFAULT_DAYS), to: addDays(today, -1) }, compare: true }, url);
  } catch (error) {
    if (error instanceof AdminError && error.signedOut) return signIn(url, 'badToken');
    root.replaceChildren(...failure(error), h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => void start(url) }, t('retry')), signOutButton(url)));
  }
}

setLang(currentLang());
adminUrl().then(start, (error: Error) => root.replaceChildren(...failure(new Error(`config.json: ${error.message}`))));
