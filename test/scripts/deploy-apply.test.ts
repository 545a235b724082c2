/**
 * Sending the plan (scripts/deploy/apply.js), without the network: the CloudBase manager is an
 * in-memory environment with manager-node's own method types, and the CLI a recorder of its
 * arguments. Collections come first, each created once, given only the indexes it lacks and its
 * rule; then one `tcb fn deploy` of every function and trigger; a failed CLI is an error.
 */
import { applyPlan, type Manager } from '../../scripts/deploy/apply';
import { readPlan, type Plan } from '../../scripts/deploy/plan';
import { REPO_ROOT } from '../helpers/emulator';

interface StoredIndex {
  Name: string;
  Keys: { Name: string; Direction: string }[];
  Unique: boolean;
}

/** An environment's collections as manager-node describes them, and the calls made to it in order. */
function memoryManager(existing: Record<string, StoredIndex[]> = {}): { manager: Manager; calls: string[]; rules: Record<string, unknown>; indexes: Record<string, StoredIndex[]> } {
  const indexes: Record<string, StoredIndex[]> = structuredClone(existing);
  const rules: Record<string, unknown> = {};
  const calls: string[] = [];
  const manager: Manager = {
    database: {
      async createCollectionIfNotExists(name) {
        calls.push(`create ${name}`);
        const created = !(name in indexes);
        indexes[name] ??= [{ Name: '_id_', Keys: [{ Name: '_id', Direction: '1' }], Unique: true }];
        return { RequestId: 'r', IsCreated: created, ExistsResult: { RequestId: 'r', Exists: !created } };
      },
      async describeCollection(name) {
        calls.push(`describe ${name}`);
        return { RequestId: 'r', Indexes: indexes[name].map((index) => ({ ...index, Size: 0, Accesses: { Ops: 0, Since: '' } })), IndexNum: indexes[name].length };
      },
      async updateCollection(name, { CreateIndexes = [] }) {
        calls.push(`index ${name} ${CreateIndexes.map((index) => index.IndexName).join(',')}`);
        for (const index of CreateIndexes) indexes[name].push({ Name: index.IndexName, Keys: index.MgoKeySchema.MgoIndexKeys, Unique: index.MgoKeySchema.MgoIsUnique });
        return { RequestId: 'r' };
      },
    },
    commonService: (service) => ({
      async call({ Action, Param }) {
        calls.push(`${service} ${Action} ${String(Param.CollectionName)}`);
        rules[String(Param.CollectionName)] = { envId: Param.EnvId, aclTag: Param.AclTag, rule: JSON.parse(String(Param.Rule)) };
        return { RequestId: 'r' };
      },
    }),
  };
  return { manager, calls, rules, indexes };
}

const plan: Plan = readPlan(REPO_ROOT);

test('a new environment gets every collection with its indexes and rule, then every function with one CLI run', async () => {
  const { manager, calls, rules, indexes } = memoryManager();
  const log: string[] = [];
  const runCli = (args: string[]): number => {
    calls.push(`cli ${args.join(' ')}`);
    return 0;
  };
  const warnings = await applyPlan(plan, { envId: 'env-a', manager, runCli, log: (line) => log.push(line) });
  expect(warnings).toEqual([]);
  for (const collection of plan.collections) {
    expect(indexes[collection.name].map((index) => index.Name)).toEqual(['_id_', ...collection.indexes.map((index) => index.name)]);
    expect(rules[collection.name]).toEqual({ envId: 'env-a', aclTag: 'CUSTOM', rule: collection.rules });
    expect(calls).toContain(`tcb ModifySafeRule ${collection.name}`);
  }
  expect(indexes.events.find((index) => index.Name === 'day_type_at')?.Keys).toEqual([
    { Name: 'day', Direction: '1' },
    { Name: 'type', Direction: '1' },
    { Name: 'at', Direction: '1' },
  ]);
  // every collection and rule before any function: a timer must never meet a collection that is not there yet
  expect(calls.filter((call) => call.startsWith('cli'))).toEqual(['cli fn deploy --all --force --yes -e env-a']);
  expect(calls.at(-1)).toBe('cli fn deploy --all --force --yes -e env-a');
  expect(calls.filter((call) => call.startsWith('create'))).toHaveLength(plan.collections.length);
  expect(log[0]).toBe(`collection ${plan.collections[0].name}: created, new indexes ${plan.collections[0].indexes.map((index) => index.name).join(', ')}, rule set`);
});

test('deploying again creates nothing twice: no index call when every index is there', async () => {
  const { manager, calls } = memoryManager();
  await applyPlan(plan, { envId: 'env-a', manager, runCli: () => 0, log: () => undefined });
  calls.length = 0;
  const log: string[] = [];
  await applyPlan(plan, { envId: 'env-a', manager, runCli: () => 0, log: (line) => log.push(line) });
  expect(calls.filter((call) => call.startsWith('index'))).toEqual([]);
  expect(log).toContain('collection users: exists, no new index, rule set');
});

test('an index of the same name with other keys is left as it is and named, the missing ones created', async () => {
  const { manager, calls, indexes } = memoryManager({ users: [{ Name: 'firstDay', Keys: [{ Name: 'firstDay', Direction: '-1' }], Unique: false }] });
  const warnings = await applyPlan(plan, { envId: 'env-a', manager, runCli: () => 0, log: () => undefined });
  expect(warnings).toEqual(['collection users: index firstDay exists with other keys than database/collections.json\'s (firstDay 1): drop it in the console and deploy again']);
  expect(indexes.users).toEqual([{ Name: 'firstDay', Keys: [{ Name: 'firstDay', Direction: '-1' }], Unique: false }]);
  expect(calls).toContain('index events day_type_at,day_serverAt,openid_at,share_rootShareId,share_shareId,groupId,messageId,cardId');
});

test('a failed CLI run is an error that says the collections are in place', async () => {
  const { manager } = memoryManager();
  await expect(applyPlan(plan, { envId: 'env-a', manager, runCli: () => 2, log: () => undefined })).rejects.toThrow(
    'tcb fn deploy failed (exit 2): its output above says why; the collections are in place, run npm run deploy again',
  );
});
