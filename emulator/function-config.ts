import { CronError, parseCron, type Cron } from './triggers/cron';

/** A timer trigger as WeChat's config.json declares it (7-field cron, Beijing time), its cron read. */
export interface TimerTrigger {
  name: string;
  type: 'timer';
  config: string;
  cron: Cron;
}

/** What the emulator takes from a function's config.json. */
export interface FunctionConfig {
  /** `permissions.openapi`: the cloud calls the function may make. */
  openapi: string[];
  triggers: TimerTrigger[];
}

interface ConfigJson {
  permissions?: { openapi?: string[] };
  triggers?: Omit<TimerTrigger, 'cron'>[];
}

/**
 * A function's config.json (`file`, its JSON `json`), the file WeChat DevTools uploads with the
 * function. Read with the project, before the emulator writes anything: a timer whose cron it
 * cannot evaluate stops the start like a failed deploy, naming the file and the trigger; so does
 * one with SCF's L, W or #, which the cloud takes and the emulator cannot evaluate (cron.ts).
 */
export function functionConfig(file: string, json: ConfigJson): FunctionConfig {
  const triggers = (json.triggers ?? [])
    .filter((trigger) => trigger.type === 'timer')
    .map((trigger) => {
      try {
        return { ...trigger, cron: parseCron(trigger.config) };
      } catch (error) {
        if (!(error instanceof CronError)) throw error;
        throw new Error(`${file}, trigger "${trigger.name}": ${error.message}`, { cause: error });
      }
    });
  return { openapi: json.permissions?.openapi ?? [], triggers };
}
