/**
 * The emulator's clock inside a function's worker process, the one place there that reads the
 * machine's clock. Functions read the time with `Date.now()`, `new Date()` and `Date()` (and
 * libraries such as dayjs do the same underneath); replacing the global Date lets them see the
 * emulator's time without a change to their code. The runtime sends the clock's offset with each
 * invocation, so a function sees the clock as it stood when its invocation started, ticking on at
 * the machine's pace.
 *
 * `Intl.DateTimeFormat`'s `format()` and `formatToParts()` given no date format the time now, which
 * Intl reads from the machine's clock itself, not through Date: they are given the shifted time.
 *
 * Only "now" moves: `new Date(x)`, `Date.parse`, `Date.UTC`, `instanceof Date` and every method
 * behave as always, and timers (`setTimeout`, `setInterval`) keep running on real time, as the
 * cloud's do.
 *
 * @example
 *   const setOffset = shiftDate();
 *   setOffset(-86_400_000);   // from now on, Date.now() is a day behind the machine's clock
 */
export function shiftDate(): (offsetMs: number) => void {
  const MachineDate = Date;
  let offset = 0;
  const now = (): number => MachineDate.now() + offset;
  const ShiftedDate = new Proxy(MachineDate, {
    construct: (target, args: unknown[], newTarget: (...args: unknown[]) => unknown) =>
      Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget) as object,
    // Date() called without new answers the time now as text.
    apply: () => new MachineDate(now()).toString(),
    get: (target, key, receiver) => (key === 'now' ? now : Reflect.get(target, key, receiver) as unknown),
  });
  globalThis.Date = ShiftedDate;
  // An instance's constructor stays the global Date, for code that compares them or calls `new d.constructor()`.
  Object.defineProperty(MachineDate.prototype, 'constructor', { value: ShiftedDate, writable: true, configurable: true, enumerable: false });
  shiftIntl(now);
  return (offsetMs) => {
    offset = offsetMs;
  };
}

type Format = (date?: Date | number) => string;

/** Intl.DateTimeFormat formats `now()` where it would format the machine's time now (no date, or undefined). */
function shiftIntl(now: () => number): void {
  const prototype = Intl.DateTimeFormat.prototype;
  const machineFormat = Object.getOwnPropertyDescriptor(prototype, 'format')?.get as (this: Intl.DateTimeFormat) => Format;
  // `format` is a getter of a function bound to its formatter, the same one each time
  const bound = new WeakMap<Intl.DateTimeFormat, Format>();
  Object.defineProperty(prototype, 'format', {
    configurable: true,
    get(this: Intl.DateTimeFormat): Format {
      let format = bound.get(this);
      if (!format) {
        const formatMachine = machineFormat.call(this);
        format = (date) => formatMachine(date === undefined ? now() : date);
        bound.set(this, format);
      }
      return format;
    },
  });
  const machineFormatToParts = prototype.formatToParts;
  prototype.formatToParts = function formatToParts(this: Intl.DateTimeFormat, date?: Date | number) {
    return machineFormatToParts.call(this, date === undefined ? now() : date);
  };
}
