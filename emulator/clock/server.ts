import type { ServerResponse } from 'node:http';
import { BackendError } from '../errors';
import { readParams, Refusal, refuseAsEmulator, sendJson, type Params } from '../http';
import type { Logger } from '../log';
import type { Route } from '../server';
import type { ClockMoves } from './operations';

/**
 * A refusal as `{code, message}`: a body the route cannot read with the status every route gives
 * it (400, 413 or 415), 409 for a move back in time, 400 for a move it refuses.
 */
function refuse(res: ServerResponse, error: unknown): void {
  if (error instanceof Refusal) return refuseAsEmulator(res, error);
  if (!(error instanceof BackendError)) throw error;
  sendJson(res, error.code === 'CLOCK_BACKWARDS' ? 409 : 400, { code: error.code, message: error.message });
}

/**
 * The emulator's clock, for tests, the demo and operators trying Rukou.
 *
 * @example
 * GET /__rukou/clock
 * → {"now": "2024-03-09T02:00:00.000Z", "offsetMs": -86000000000, "timers": "on", "next": [{"function": "rollup", "trigger": "dailyRollup", "time": "2024-03-09T16:17:00Z"}]}
 * POST /__rukou/clock {"advance": "2d"}        (or {"set": "2024-03-11T10:00:00+08:00"})
 * → {"now": "2024-03-11T02:00:00.004Z", "offsetMs": …, "fired": [{"function": "rollup", "trigger": "dailyRollup", "time": "2024-03-09T16:17:00Z", "result": {…}}, …]}
 * (or, when the emulator is stopped on the way, 503 {"code": "EMULATOR_STOPPED", "message", "now", "offsetMs", "fired"})
 */
export function clockRoutes(moves: ClockMoves, log: Logger): Route[] {
  return [
    {
      method: 'GET',
      prefix: '/__rukou/clock',
      handle(_req, res) {
        sendJson(res, 200, moves.reading());
        return Promise.resolve();
      },
    },
    {
      method: 'POST',
      prefix: '/__rukou/clock',
      async handle(req, res) {
        const started = performance.now();
        try {
          let params: Params;
          try {
            params = await readParams(req);
          } catch (error) {
            if (!(error instanceof Refusal)) throw error;
            throw new Refusal(error.status, `the body must be JSON {"set": ISO} or {"advance": ms | "1d"}: ${error.message}`);
          }
          const { reached, ...moved } = await moves.move(params);
          if (reached) {
            log.call('clock', 'move', performance.now() - started, `ok ${moved.now} (${moved.fired.length} timers fired)`);
            sendJson(res, 200, moved);
            return;
          }
          log.call('clock', 'move', performance.now() - started, `EMULATOR_STOPPED ${moved.now} (${moved.fired.length} timers fired)`);
          sendJson(res, 503, {
            code: 'EMULATOR_STOPPED',
            message:
              `the emulator stopped during the move: the clock stands at ${moved.now}, where the last timer fired (a run still going was cut short), ` +
              'not where the move asked; a restart resumes it there and fires the instants after it as the clock passes them',
            ...moved,
          });
        } catch (error) {
          log.call('clock', 'move', performance.now() - started, error instanceof BackendError ? error.code : 'SYS_ERR');
          refuse(res, error);
        }
      },
    },
  ];
}
