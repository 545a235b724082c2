/**
 * One line per function invocation, per admin call and per move of the clock: what, how long, how it ended.
 * Quiet by default (only the ready line and failures of the emulator itself); `--verbose`
 * prints every line. Tests read the same lines from the process output.
 */
export interface Logger {
  readonly verbose: boolean;
  call(kind: 'admin' | 'invoke' | 'trigger' | 'push' | 'clock', name: string, ms: number, outcome: string): void;
  info(message: string): void;
  warn(message: string): void;
}

export function createLogger(verbose: boolean, write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Logger {
  return {
    verbose,
    call(kind, name, ms, outcome) {
      if (verbose) write(`[rukou] ${kind} ${name} ${ms.toFixed(1)}ms ${outcome}`);
    },
    info(message) {
      write(`[rukou] ${message}`);
    },
    warn(message) {
      process.stderr.write(`[rukou] warning: ${message}\n`);
    },
  };
}
