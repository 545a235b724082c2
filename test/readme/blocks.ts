/**
 * The README's code blocks as its test reads them (README "Contributing": its examples are run).
 *
 * Every fenced block in a shell language (`sh`, `bash`, `shell`, `zsh`, `console`) comes right
 * after a marker, an HTML comment GitHub does not show:
 *
 * - `<!-- readme-test: run -->`: run against the emulators, in a shell of its own. In `sh`, every
 *   line is a command (a line ending in `\` goes on); in `console`, lines starting `$ ` are
 *   commands and the lines after each are its output, compared with what it prints.
 * - `<!-- readme-test: server -->`: one command that starts an emulator and runs until stopped.
 * - `<!-- readme-test: skip: <why> -->`: not run; the reason is required.
 *
 * and a block in no shell language may be marked `<!-- readme-test: output -->`: what the last
 * server started printed. A block that looks like commands (a line starting `$ `, `npx ` or
 * `npm `) must say its language. Shown output matches what is printed line by line, where `…`
 * in a line stands for any text, and a line that is only `…` for any lines (none included).
 */

export type Marker = { kind: 'run' } | { kind: 'server' } | { kind: 'output' } | { kind: 'skip'; reason: string };

export interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  lines: string[];
  marker?: Marker;
}

export interface Step {
  /** 1-based line of the command in the README. */
  line: number;
  command: string;
  /** The output shown after it (console blocks only). */
  shown?: string[];
}

const SHELLS = new Set(['sh', 'bash', 'shell', 'zsh', 'console']);
export const isShell = (block: Block): boolean => SHELLS.has(block.lang);

const MARKER = /^\s*<!--\s*readme-test:\s*(.*?)\s*-->\s*$/;

function parseMarker(text: string): Marker | string {
  if (text === 'run' || text === 'server' || text === 'output') return { kind: text };
  const skip = /^skip:\s*(\S.*)$/.exec(text);
  if (skip) return { kind: 'skip', reason: skip[1] };
  return `unknown marker "${text}" (run, server, output or skip: <why>)`;
}

/** Every fenced block with its marker, and what breaks the convention (each with its line). */
export function readmeBlocks(markdown: string): { blocks: Block[]; problems: string[] } {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  const problems: string[] = [];
  let pending: { marker: Marker; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]);
    if (marker) {
      if (pending) problems.push(`line ${pending.line}: a readme-test marker with no block after it`);
      const parsed = parseMarker(marker[1]);
      if (typeof parsed === 'string') problems.push(`line ${i + 1}: ${parsed}`);
      else pending = { marker: parsed, line: i + 1 };
      continue;
    }
    const fence = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!fence) {
      if (lines[i].trim() !== '' && pending) {
        problems.push(`line ${pending.line}: a readme-test marker with no block after it`);
        pending = undefined;
      }
      continue;
    }
    const [, indent, ticks, lang] = fence;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !new RegExp(`^\\s*${ticks[0]}{${ticks.length},}\\s*$`).test(lines[i]); i++) body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i].trimStart());
    const block: Block = { line: start + 1, lang, lines: body, ...(pending ? { marker: pending.marker } : {}) };
    pending = undefined;
    blocks.push(block);
    const where = `line ${block.line}`;
    if (isShell(block)) {
      if (!block.marker) problems.push(`${where}: a \`\`\`${lang} block without a readme-test marker before it (run, server or skip: <why>)`);
      else if (block.marker.kind === 'output') problems.push(`${where}: output marks a block of output, not a \`\`\`${lang} block`);
      else if (block.marker.kind === 'server' && stepsOf(block).length !== 1) problems.push(`${where}: a server block holds one command`);
    } else {
      if (block.marker && block.marker.kind !== 'output') problems.push(`${where}: ${block.marker.kind} marks a shell block, and this block's language is "${lang || 'none'}"`);
      if (!lang && body.some((text) => /^(\$ |npx |npm )/.test(text))) problems.push(`${where}: a block of commands without a language: say sh or console, and mark it`);
    }
  }
  if (pending) problems.push(`line ${pending.line}: a readme-test marker with no block after it`);
  return { blocks, problems };
}

/** A block's commands, continuation lines joined, comments and blank lines left out; in console blocks, each with its shown output. */
export function stepsOf(block: Block): Step[] {
  const steps: Step[] = [];
  const console = block.lang === 'console';
  for (let i = 0; i < block.lines.length; i++) {
    const text = block.lines[i];
    if (console && !text.startsWith('$ ')) {
      const last = steps[steps.length - 1];
      if (!last) throw new Error(`line ${block.line + 1 + i}: output before any command`);
      last.shown!.push(text);
      continue;
    }
    let command = console ? text.slice(2) : text;
    const line = block.line + 1 + i;
    while (command.endsWith('\\') && i + 1 < block.lines.length) command = `${command.slice(0, -1)}${block.lines[++i]}`;
    if (!console && (command.trim() === '' || command.trim().startsWith('#'))) continue;
    steps.push({ line, command, ...(console ? { shown: [] } : {}) });
  }
  return steps;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const lineMatches = (shown: string, printed: string): boolean => new RegExp(`^${shown.split('…').map(escape).join('.*')}$`).test(printed);

/**
 * Whether printed output is what the README shows: line by line, `…` in a line any text, a line
 * that is only `…` any lines. Trailing blank lines of either are left out.
 */
export function outputMatches(shown: string[], printed: string[]): boolean {
  const trim = (lines: string[]): string[] => {
    const copy = lines.map((text) => text.trimEnd());
    while (copy.length > 0 && copy[copy.length - 1] === '') copy.pop();
    return copy;
  };
  const want = trim(shown);
  const got = trim(printed);
  // memoised over (shown line, printed line): a "…" line tries every split once
  const memo = new Map<string, boolean>();
  const from = (w: number, g: number): boolean => {
    const key = `${w},${g}`;
    if (memo.has(key)) return memo.get(key)!;
    let result: boolean;
    if (w === want.length) result = g === got.length;
    else if (want[w].trim() === '…') result = from(w + 1, g) || (g < got.length && from(w, g + 1));
    else result = g < got.length && lineMatches(want[w], got[g]) && from(w + 1, g + 1);
    memo.set(key, result);
    return result;
  };
  return from(0, 0);
}
