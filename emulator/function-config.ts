import { isPlainObject } from './database/values';
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

/** The trigger of WeChat's page on config.json (cloud development, 定时触发器), shown where one is wrong. */
const EXAMPLE_TRIGGER = '{"name": "myTrigger", "type": "timer", "config": "0 0 2 1 * * *"}';

/** A value as a refusal shows it: its JSON, cut short (a config.json may hold anything). */
function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 60)}…` : json;
}

/** Stops the start: `what`, in `where`, is not what the cloud takes. */
function refuse(where: string, what: string, expected: string, value: unknown): never {
  throw new Error(`${where}: ${what} must be ${expected}; it is ${shown(value)}`);
}

function timerTrigger(file: string, trigger: unknown, index: number): TimerTrigger {
  if (!isPlainObject(trigger)) return refuse(file, `triggers[${index}]`, `an object, ${EXAMPLE_TRIGGER}`, trigger);
  const { name, type, config } = trigger;
  if (typeof name !== 'string') return refuse(`${file}, triggers[${index}]`, '"name"', 'a text, the trigger\'s name', name);
  const where = `${file}, trigger "${name}"`;
  if (type !== 'timer') return refuse(where, '"type"', '"timer", the only type of trigger WeChat takes', type);
  if (typeof config !== 'string') return refuse(where, '"config"', 'its cron, a text of 7 fields such as "0 0 2 1 * * *"', config);
  try {
    return { name, type, config, cron: parseCron(config) };
  } catch (error) {
    if (!(error instanceof CronError)) throw error;
    throw new Error(`${where}: ${error.message}`, { cause: error });
  }
}

/**
 * A function's config.json (`file`, its JSON `json`), the file WeChat DevTools uploads with the
 * function. Read with the project, before the emulator writes anything: what the cloud would not
 * take (a shape other than its page's, a cron that is no cron) stops the start like a failed
 * deploy, naming the file, the trigger and what is wrong; so does a cron with SCF's L, W or #,
 * which the cloud takes and the emulator cannot evaluate (cron.ts).
 */
export function functionConfig(file: string, json: unknown): FunctionConfig {
  if (!isPlainObject(json)) return refuse(file, 'config.json', `a JSON object, {"permissions": {"openapi": […]}, "triggers": [${EXAMPLE_TRIGGER}]}`, json);
  const { permissions = {}, triggers = [] } = json;
  if (!isPlainObject(permissions)) return refuse(file, '"permissions"', 'an object, {"openapi": ["subscribeMessage.send", …]}', permissions);
  const { openapi = [] } = permissions;
  if (!Array.isArray(openapi) || !openapi.every((api): api is string => typeof api === 'string')) {
    return refuse(file, '"permissions.openapi"', 'a list of the cloud calls the function makes, ["subscribeMessage.send", …]', openapi);
  }
  if (!Array.isArray(triggers)) return refuse(file, '"triggers"', `a list, [${EXAMPLE_TRIGGER}]`, triggers);
  return { openapi, triggers: triggers.map((trigger, index) => timerTrigger(file, trigger, index)) };
}
