import type { EmulatorContext, Service } from '../server';
import { ClockMoves } from './operations';
import { clockRoutes } from './server';
import { EmulatorClock } from './state';

export interface ClockService extends Service {
  clock: EmulatorClock;
  moves: ClockMoves;
}

/**
 * The emulator's clock (state.ts): real time unless `--clock` starts it elsewhere, moved forward by
 * `POST /__rukou/clock`; the triggers service attaches its scheduler so that timers fire on the way.
 */
export function clockService(context: EmulatorContext): ClockService {
  const clock = new EmulatorClock(context.options.dataDir, context.options.clock);
  // milliseconds off (a clock moved to now, as the demo's seeding leaves it) are the machine's time to anyone reading it
  if (Math.abs(clock.offset()) >= 1000) context.log.info(`the clock reads ${new Date(clock.now()).toISOString()}, not the machine's time (kept in ${context.options.dataDir}/clock.json)`);
  const moves = new ClockMoves(clock);
  return { clock, moves, routes: clockRoutes(moves, context.log), close: () => moves.settled() };
}
