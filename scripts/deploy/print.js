// @ts-check
// The deploy plan as the operator reads it before anything is sent. Variables by name only: this
// text is printed to a terminal and may be pasted anywhere, so no value of the environment is in it.

/** @typedef {import('./plan').Plan} Plan @typedef {import('./environment').VariableState} VariableState */

/** The path the web dashboard calls `admin` at: scripts/build.js writes it to dist/dashboard/config.json (`adminUrl`). */
const ADMIN_PATH = '/admin';
/** The folder of static hosting the dashboard is uploaded to, and so its path on the domain (README, Deploy step 8). */
const DASHBOARD_PATH = 'dashboard';

/** @param {import('./plan').Trigger} t */
const timer = (t) => `timer ${t.name} "${t.config}" (Beijing time)`;

/**
 * @param {Plan} plan
 * @param {{ files: string[], variables: VariableState[] }} environment `files`: the .env files read
 * @returns {string[]} the lines of the plan
 */
function planLines(plan, { files, variables }) {
  const isSet = (/** @type {string} */ name) => variables.find((v) => v.name === name)?.set ?? false;
  const lines = [`environment: ${files.length > 0 ? files.join(', ') : `no .env in ${plan.root}`}, under the process's own variables`];
  for (const v of variables) lines.push(`  ${v.name.padEnd(30)} ${v.set ? 'set' : 'not set'}${v.usedBy.length > 0 ? `   for ${v.usedBy.join(', ')}` : '   for the deploy'}`);

  lines.push('', 'functions (cloudbaserc.json, sent with @cloudbase/cli: tcb fn deploy --all --force):');
  for (const fn of plan.functions) {
    const { runtime, memorySize, timeout } = fn.declared;
    lines.push(`  ${fn.name}: ${runtime ?? 'no runtime'}, ${memorySize === undefined ? 'no memorySize' : `${memorySize} MB`}, ${timeout === undefined ? 'no timeout' : `timeout ${timeout} s`}, index.js ${fn.bundle ? `${Math.round(fn.bundle.bytes / 1024)} KB` : 'not built'}`);
    lines.push(`    environment: ${fn.variables.length === 0 ? 'none' : fn.variables.map((name) => `${name} (${isSet(name) ? 'set' : 'not set'})`).join(', ')}`);
    lines.push(`    triggers: ${fn.triggers.length === 0 ? 'none' : fn.triggers.map(timer).join(', ')}`);
    const permissions = fn.config?.permissions?.openapi;
    lines.push(`    openapi permissions (config.json): ${Array.isArray(permissions) && permissions.length > 0 ? permissions.join(', ') : 'none'}`);
  }

  lines.push('', 'collections (database/collections.json, sent with @cloudbase/manager-node):');
  for (const c of plan.collections) {
    lines.push(`  ${c.name}: rules ${JSON.stringify(c.rules)}`);
    lines.push(`    indexes: ${c.indexes.length === 0 ? 'none' : c.indexes.map((i) => `${i.name} (${(Array.isArray(i.keys) ? i.keys : []).map((k) => `${k.name} ${k.direction}`).join(', ')}${i.unique ? ', unique' : ''})`).join('; ')}`);
  }

  const permitted = plan.functions.filter((fn) => Array.isArray(fn.config?.permissions?.openapi) && fn.config.permissions.openapi.length > 0);
  const withPermissions = permitted.map((fn) => fn.name);
  const timedCalls = permitted.filter((fn) => fn.triggers.length > 0).map((fn) => fn.name);
  lines.push(
    '',
    'by hand, once the deploy is done (README, Deploy to a real environment):',
    `  openapi permissions (step 6): the CLI cannot set them. In WeChat DevTools, right-click each of ${withPermissions.join(', ')} under cloudfunctions/ → 上传并部署：云端安装依赖 (that upload sends config.json)`,
    `  timers that make cloud calls (step 6): then right-click each of ${timedCalls.join(', ')} → 上传触发器, so that its timer's runs may make them (WeChat supports cloud calls in timer runs for triggers uploaded from DevTools: README, Platform sources A.6)`,
    `  message push (step 7): 云开发 → 设置 → 其他设置 → 消息推送, mode cloud function, one row each to ${plan.pushFunction}:`,
    ...plan.pushRoutes.map((route) => `    MsgType ${route.msgType}${route.event ? `, Event ${route.event}` : ''}`),
    `  web dashboard (step 8): upload it to static hosting, logged in (step 4): npx tcb hosting deploy dist/${DASHBOARD_PATH} ${DASHBOARD_PATH} -e <ENV_ID>`,
    `  HTTP access (step 8): in the console's HTTP access service (HTTP 访问服务), on one domain, route ${ADMIN_PATH} to the cloud function admin and /${DASHBOARD_PATH} to static hosting`,
  );
  return lines;
}

module.exports = { planLines };
