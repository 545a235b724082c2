/**
 * The emulator's clock inside a function's worker process, the one place there that reads the
 * machine's clock. Functions read the time with `Date.now()`, `new Date()` and `Date()` (and
 * libraries such as dayjs do the same underneath); replacing the global Date lets them see the
 * emulator's time without a change to their code. The runtime sends the clock's offset with each
 * invocation, so a function sees the clock as it stood when its invocation started, ticking on at
 * the machine's pace.
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
  return (offsetMs) => {
    offset = offsetMs;
  };
}
