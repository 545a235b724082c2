// @ts-check
// Sends a checked plan to the environment. First the collections, each created when missing, given
// its missing indexes and its security rule, with @cloudbase/manager-node (the CLI has no command
// for collections, rules or indexes, §F.2), so that no function ever runs against a collection
// that is not there yet; then every function with its timer trigger, with the CloudBase CLI:
// `tcb fn deploy --all --force` creates a missing function or updates an existing one's code and
// configuration (runtime, memory, timeout, environment variables), and creates the triggers
// cloudbaserc.json declares in both cases (@cloudbase/cli 2.12.10: createFunction and
// updateFunctionConfig both call BatchCreateTrigger), so no `tcb fn trigger create` is needed.
// What neither can set is left to the operator and printed by the plan: the functions' openapi
// permissions (only a WeChat DevTools upload sends config.json, §B.1) and the message push (§D.4).

/** @typedef {import('./plan').Plan} Plan @typedef {import('./plan').Index} Index */

/**
 * What apply uses of @cloudbase/manager-node: its database service and its common service, which
 * calls any CloudBase API by name (the security rules have no method of their own that is not
 * deprecated in 5.6.5).
 * @typedef {{ database: Pick<import('@cloudbase/manager-node/types/database').DatabaseService, 'createCollectionIfNotExists' | 'describeCollection' | 'updateCollection'>, commonService: (service?: string) => Pick<import('@cloudbase/manager-node/types/common').CommonService, 'call'> }} Manager
 */

/** @param {Index} index @returns {string} its keys as CloudBase lists them, `day 1, type 1` */
const keysOf = (index) => index.keys.map((key) => `${key.name} ${key.direction}`).join(', ');

/**
 * Creates a collection when missing, then the indexes it lacks, then sets its rule. An index that
 * exists under the same name with other keys is not changed (CloudBase cannot change an index in
 * place; dropping it could slow every query until the new one is built): it is returned as a warning.
 * @param {Manager} manager
 * @param {string} envId
 * @param {import('./plan').CollectionPlan} collection
 * @returns {Promise<{ created: boolean, newIndexes: string[], warnings: string[] }>}
 */
async function applyCollection(manager, envId, { name, rules, indexes }) {
  const { IsCreated } = await manager.database.createCollectionIfNotExists(name);
  const existing = (await manager.database.describeCollection(name)).Indexes ?? [];
  const warnings = [];
  const missing = [];
  for (const index of indexes) {
    const found = existing.find((e) => e.Name === index.name);
    if (!found) missing.push(index);
    else if (keysOf(index) !== (found.Keys ?? []).map((key) => `${key.Name} ${key.Direction}`).join(', ') || Boolean(found.Unique) !== Boolean(index.unique)) {
      warnings.push(`collection ${name}: index ${index.name} exists with other keys than database/collections.json's (${keysOf(index)}): drop it in the console and deploy again`);
    }
  }
  if (missing.length > 0) {
    await manager.database.updateCollection(name, {
      CreateIndexes: missing.map((index) => ({
        IndexName: index.name,
        MgoKeySchema: { MgoIsUnique: Boolean(index.unique), MgoIndexKeys: index.keys.map((key) => ({ Name: key.name, Direction: key.direction })) },
      })),
    });
  }
  // ModifySafeRule: the database security rule of one collection (Tencent Cloud API 876/128959; §F.1)
  await manager.commonService('tcb').call({ Action: 'ModifySafeRule', Param: { EnvId: envId, CollectionName: name, AclTag: 'CUSTOM', Rule: JSON.stringify(rules) } });
  return { created: Boolean(IsCreated), newIndexes: missing.map((index) => index.name), warnings };
}

/**
 * Applies the plan to the environment `envId`.
 * @param {Plan} plan checked: planProblems(plan) is empty
 * @param {{ envId: string, manager: Manager, runCli: (args: string[]) => number, log: (line: string) => void }} deps
 *   `runCli` runs `tcb` with these arguments in the project's folder and answers its exit status
 * @returns {Promise<string[]>} warnings: what was left as it was and needs the operator
 * @throws {Error} when the CLI fails (the collections are then in place, the functions as the CLI left them)
 */
async function applyPlan(plan, { envId, manager, runCli, log }) {
  const warnings = [];
  for (const collection of plan.collections) {
    const done = await applyCollection(manager, envId, collection);
    log(`collection ${collection.name}: ${done.created ? 'created' : 'exists'}, ${done.newIndexes.length === 0 ? 'no new index' : `new indexes ${done.newIndexes.join(', ')}`}, rule set`);
    warnings.push(...done.warnings);
  }
  const status = runCli(['fn', 'deploy', '--all', '--force', '--yes', '-e', envId]);
  if (status !== 0) throw new Error(`tcb fn deploy failed (exit ${status}): its output above says why; the collections are in place, run npm run deploy again`);
  return warnings;
}

module.exports = { applyPlan };
