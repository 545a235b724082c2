import type { IncomingMessage, ServerResponse } from 'node:http';
import { clockService, type ClockService } from '../clock';
import { parseInstant } from '../clock/operations';
import { readParams, sendJson } from '../http';
import type { EmulatorContext, Service } from '../server';
import { functionsService, type FunctionsService } from '../functions';
import { clientAnswer, FUNCTION_NOT_FOUND, INVALID_PARAMETERS, refuseAsClient } from '../functions/gateway';
import { fireTrigger, scheduledTriggers, Scheduler } from './scheduler';

/**
 * Timer triggers: fired as the emulator's clock passes their instants (ticking, or moved by
 * `POST /__rukou/clock`) unless `--no-timers`, and on demand by `POST /triggers/<function>` with
 * `{"time": ISO}` (what `rukou trigger` sends), which runs the function's trigger now with `time`
 * as the event's Time (by default the clock's time), and answers like the client gateway. Only the
 * event says `time`: the clock does not move, and the function reads the emulator's clock as ever.
 */
export function triggersService(context: EmulatorContext): Service {
  const { runtime } = context.service<FunctionsService>(functionsService);
  const { clock, moves } = context.service<ClockService>(clockService);
  const triggers = scheduledTriggers(context.project.functions.values());
  const scheduler = new Scheduler(runtime, context.log, clock);
  if (context.options.timers) {
    scheduler.start(triggers.values());
    moves.attach(scheduler);
  }

  async function fire(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    const name = decodeURIComponent(rest);
    const scheduled = triggers.get(name);
    if (!scheduled) {
      const problem = runtime.has(name) ? `the function "${name}" has no timer trigger in its config.json` : `no cloud function "${name}"`;
      sendJson(res, 200, { errCode: FUNCTION_NOT_FOUND, errMsg: problem });
      return;
    }
    let time = new Date(clock.now());
    try {
      const params = await readParams(req);
      if (params.time !== undefined) time = new Date(parseInstant(params.time));
    } catch (error) {
      sendJson(res, 200, { errCode: INVALID_PARAMETERS, errMsg: `the body must be JSON {"time": ISO}: ${(error as Error).message}` });
      return;
    }
    if (Number.isNaN(time.getTime())) {
      sendJson(res, 200, { errCode: INVALID_PARAMETERS, errMsg: 'time must be an ISO 8601 day or time with its offset, e.g. 2024-06-01T16:17:00Z' });
      return;
    }
    const started = performance.now();
    const outcome = await fireTrigger(runtime, scheduled, time);
    context.log.call('trigger', `${name}/${scheduled.trigger.name}`, performance.now() - started, outcome.kind);
    sendJson(res, 200, clientAnswer(outcome));
  }

  return {
    routes: [{ method: 'POST', prefix: '/triggers/', handle: fire, refuse: refuseAsClient }],
    close: async () => scheduler.stop(),
  };
}
