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
  /** Its timer, if it has one (WeChat takes one a function). */
  trigger?: TimerTrigger;
}

/** The trigger of WeChat's page on config.json (cloud development, 定时触发器), shown where one is wrong. */
const EXAMPLE_TRIGGER = '{"name": "myTrigger", "type": "timer", "config": "0 0 2 1 * * *"}';
/**
 * A timer's name as that page has it: "最大支持 60 个字符，支持 a-z, A-Z, 0-9, - 和 _。必须以字母开头"
 * (at most 60 characters of those, starting with a letter).
 */
export const TRIGGER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;

/** A value as a refusal shows it: its JSON, cut short (a config.json may hold anything). */
function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 60)}…` : json;
}

/** Stops the start: `what`, in `where`, breaks `rule` ("be a list …"), the cloud's. */
function refuse(where: string, what: string, rule: string, value: unknown): never {
  throw new Error(`${where}: ${what} must ${rule}; it is ${shown(value)}`);
}

function timerTrigger(file: string, trigger: unknown, index: number): TimerTrigger {
  if (!isPlainObject(trigger)) return refuse(file, `triggers[${index}]`, `be an object, ${EXAMPLE_TRIGGER}`, trigger);
  const { name, type, config } = trigger;
  if (typeof name !== 'string' || !TRIGGER_NAME.test(name)) {
    return refuse(`${file}, triggers[${index}]`, '"name"', "start with a letter and hold at most 60 letters, digits, - and _ (WeChat's rule for a timer's name)", name);
  }
  const where = `${file}, trigger "${name}"`;
  if (type !== 'timer') return refuse(where, '"type"', 'be "timer", the only type of trigger WeChat takes', type);
  if (typeof config !== 'string') return refuse(where, '"config"', 'be its cron, a text of 7 fields such as "0 0 2 1 * * *"', config);
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
  if (!isPlainObject(json)) return refuse(file, 'config.json', `be a JSON object, {"permissions": {"openapi": […]}, "triggers": [${EXAMPLE_TRIGGER}]}`, json);
  const { permissions = {}, triggers = [] } = json;
  if (!isPlainObject(permissions)) return refuse(file, '"permissions"', 'be an object, {"openapi": ["subscribeMessage.send", …]}', permissions);
  const { openapi = [] } = permissions;
  if (!Array.isArray(openapi) || !openapi.every((api): api is string => typeof api === 'string')) {
    return refuse(file, '"permissions.openapi"', 'be a list of the cloud calls the function makes, ["subscribeMessage.send", …]', openapi);
  }
  if (!Array.isArray(triggers)) return refuse(file, '"triggers"', `be a list, [${EXAMPLE_TRIGGER}]`, triggers);
  return { openapi, trigger: oneTimer(file, triggers.map((trigger, index) => timerTrigger(file, trigger, index))) };
}

/**
 * The page's rules on how many: "一个函数下不支持同名的多个定时触发器" (no two timers of one
 * function with the same name), and above it "目前仅支持一个触发器，即数组只能填写一个" (one trigger
 * for now: the list holds one). The emulator fired the first alone, and a second never ran.
 */
function oneTimer(file: string, timers: TimerTrigger[]): TimerTrigger | undefined {
  const names = timers.map((timer) => timer.name);
  const twice = names.find((name, index) => names.indexOf(name) !== index);
  if (twice !== undefined) throw new Error(`${file}: two triggers are named "${twice}": WeChat takes no two timers of one function with the same name`);
  if (timers.length > 1) throw new Error(`${file}: "triggers" holds ${timers.length} triggers (${names.map((name) => `"${name}"`).join(', ')}), where WeChat takes one a function ("目前仅支持一个触发器"): keep one`);
  return timers[0];
}
