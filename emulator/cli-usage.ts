import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * What `rukou` says about itself: each command's usage and help, its options read with
 * `node:util` parseArgs (strict: an unknown option or a missing value is a usage error), and its
 * exit statuses. The README shows these usage lines (test/readme/readme.test.ts holds them equal).
 */

/** How `rukou` ends: the same for every command. */
export const EXIT = {
  /** done: the emulator stopped on a signal, or the answer was printed and refuses nothing */
  ok: 0,
  /** refused or failed: the function or the emulator said no (the answer is printed), or an emulator could not start */
  refused: 1,
  /** a wrong command, option or value: the usage is printed */
  usage: 2,
  /** no emulator answers at the URL (none running there, or something else) */
  unreachable: 3,
} as const;

export type CommandName = 'start' | 'emulator' | 'invoke' | 'trigger' | 'clock';

const EMULATOR_OPTIONS_HELP = `  --port N          the port on 127.0.0.1 (default: RUKOU_PORT, else 8787; 0 picks a free one)
  --data DIR        the data directory (default: .rukou in the project; not empty)
  --project DIR     the project whose cloudfunctions/ run: a folder (default: this folder)
  --verbose         one log line per invocation, admin call and clock move
  --no-timers       timers never fire on their own (rukou trigger still runs one)
  --clock ISO       start the clock at this instant (a day, or a time with its offset)`;

const URL_HELP = `  --url URL         the emulator (default: RUKOU_URL, else http://127.0.0.1:<RUKOU_PORT, else 8787>)`;

const STATUS_HELP = `exit status: 0 answered; 1 refused (the answer is printed); 2 a wrong option; 3 no emulator at the URL`;

interface CommandHelp {
  usage: string;
  summary: string;
  details: string;
}

const COMMANDS: Record<CommandName, CommandHelp> = {
  start: {
    usage: 'rukou start [--reset] [--empty] [--seed N] [emulator options]',
    summary: 'the emulator with every function and the dashboard; the demo on a first run (npm start)',
    details: `Starts the emulator with every function under cloudfunctions/ and the dashboard, and prints
the dashboard's URL, the local operator's token and openid. On a first run (no data yet) it seeds
the demo first. It runs until Ctrl-C.

  --reset           delete the data (secrets.json stays) and seed again
  --empty           no demo when there is no data yet (with --reset: start over empty)
  --seed N          draw another demo than the default seed's (0 to 4294967295)
${EMULATOR_OPTIONS_HELP}

example:
  npm start -- --empty --port 8788 --data /tmp/rukou-second`,
  },
  emulator: {
    usage: 'rukou emulator [--port N] [--data DIR] [--project DIR] [--verbose] [--no-timers] [--clock ISO]',
    summary: 'the emulator alone: every function, no demo, no local operator',
    details: `Starts one HTTP server on 127.0.0.1 with every function under the project's cloudfunctions/,
and prints "listening on http://127.0.0.1:N" when ready. It runs until Ctrl-C.

${EMULATOR_OPTIONS_HELP}`,
  },
  invoke: {
    usage: 'rukou invoke <function> --openid ID [--data JSON] [--appid ID] [--unionid ID] [--url URL]',
    summary: 'call a function as a Mini Program user, print its answer',
    details: `Calls a function through the emulator's client gateway, as wx.cloud.callFunction does for a
user, and prints the answer: {"result": …}, or {"errCode", "errMsg"} when the call failed.

  --openid ID       the caller's OPENID, what cloud.getWXContext() gives the function (required)
  --data JSON       the function's data (default {})
  --appid ID        the caller's APPID
  --unionid ID      the caller's UNIONID
${URL_HELP}

It exits 1 when the answer refuses: an errCode, a result with an "error" ({code, message}:
NOT_OPERATOR, INVALID_INPUT …), or track's "rejected" events.
${STATUS_HELP}

example:
  rukou invoke admin --openid o-rukou-operator --data '{"action":"today"}'`,
  },
  trigger: {
    usage: 'rukou trigger <function> [--time ISO] [--url URL]',
    summary: "run a function's timer trigger now, print its answer",
    details: `Runs the function's timer trigger now, with --time as the event's Time (by default the
emulator's time). The emulator's clock does not move.

  --time ISO        the event's Time: a day, or a time with its offset (2024-06-01T16:17:00Z)
${URL_HELP}

It exits 1 when the answer refuses: an errCode, or a result with an "error".
${STATUS_HELP}`,
  },
  clock: {
    usage: 'rukou clock [--set ISO | --advance 1d] [--url URL]',
    summary: "read or move the emulator's clock (timers fire on the way)",
    details: `Prints the emulator's clock, or moves it forward and prints the timers that fired on the way
and what each answered.

  --set ISO         move to this instant (a day, or a time with its offset)
  --advance D       move by a duration: 1d, 90m, 1d12h, 500ms (units w d h m s ms, each once)
${URL_HELP}

It exits 1 when the emulator refuses the move (backwards, too far, too many timer runs).
${STATUS_HELP}`,
  },
};

const NAMES = Object.keys(COMMANDS) as CommandName[];

export const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/** `rukou --help`: every command's usage line and what it does. */
export function overview(): string {
  return `usage: rukou <command> [options]    (npx rukou in this project; npm start runs rukou start)

${NAMES.map((name) => `  ${COMMANDS[name].usage}\n      ${COMMANDS[name].summary}`).join('\n')}

rukou <command> --help (or rukou help <command>) says more; rukou --version (-v) prints Rukou's version. invoke, trigger and clock talk to a
running emulator: --url, else RUKOU_URL, else http://127.0.0.1:<RUKOU_PORT, else 8787>; what
answers there must show it is one within RUKOU_TIMEOUT seconds (30 by default).
exit status: 0 done; 1 refused or failed; 2 a wrong command or option; 3 no emulator at the URL
`;
}

/** `rukou <command> --help`. */
export function help(name: CommandName): string {
  return `usage: ${COMMANDS[name].usage}\n\n${COMMANDS[name].details}\n`;
}

/** A wrong command, option or value: says what, shows the usage, exits 2. */
export function usageError(name: CommandName | undefined, message: string): never {
  const usage = name ? `usage: ${COMMANDS[name].usage}\n(rukou ${name} --help says more)` : overview().trimEnd();
  process.stderr.write(`rukou${name ? ` ${name}` : ''}: ${message}\n${usage}\n`);
  process.exit(EXIT.usage);
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>>;

/**
 * parseArgs's refusal in this CLI's words: its own texts name positionals and `--opt=-XYZ` forms
 * the usage never shows.
 */
function parseArgsProblem(error: Error & { code?: string }): string {
  const option = /'(-[^']*)'/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option && /ambiguous/.test(error.message)) return `${option} takes a value that starts with "-" only as ${option}=<value>`;
  return error.message;
}

/**
 * A command's arguments, with `-h`/`--help` on every command: the help goes to stdout and the
 * process exits 0. Anything parseArgs refuses is a usage error; `positionals` is how many the
 * command takes (its first ones: `invoke <function>`).
 */
export function parseCommand<O extends Options>(name: CommandName, args: string[], options: O, positionals = 0): Parsed<O> {
  let parsed: Parsed<O>;
  let helpAsked: boolean;
  try {
    const all = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals > 0, tokens: true });
    helpAsked = (all.values as { help?: boolean }).help === true;
    // parseArgs keeps the last of a repeated option: --openid a --openid b would invoke as b, silently
    const seen = new Set<string>();
    for (const token of all.tokens) {
      if (token.kind !== 'option' || token.name === 'help') continue;
      if (seen.has(token.name)) throw new Error(`--${token.name} is given more than once`);
      seen.add(token.name);
    }
    parsed = all as unknown as Parsed<O>;
  } catch (error) {
    usageError(name, parseArgsProblem(error as Error & { code?: string }));
  }
  if (helpAsked) {
    process.stdout.write(help(name));
    process.exit(EXIT.ok);
  }
  if (parsed.positionals.length > positionals) usageError(name, `unexpected argument "${parsed.positionals[positionals]}"`);
  return parsed;
}
