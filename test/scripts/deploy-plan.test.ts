/**
 * The deploy plan's checks (scripts/deploy/checks.js): this repository has no problem; a copy of
 * it changed in one place has exactly the problem that names the change, so each check can fail.
 */
import fs from 'node:fs';
import path from 'node:path';
import { planProblems } from '../../scripts/deploy/checks';
import { readPlan } from '../../scripts/deploy/plan';
import { planLines } from '../../scripts/deploy/print';
import { REPO_ROOT } from '../helpers/emulator';
import { copyProject, editJson, type Cloudbaserc, type Collections, type FunctionConfig, type FunctionPackage } from './project-copy';

const problemsAfter = (change: (root: string) => void): string[] => {
  const root = copyProject();
  change(root);
  return planProblems(readPlan(root));
};

const declared = (rc: Cloudbaserc, name: string): Cloudbaserc['functions'][number] => {
  const fn = rc.functions.find((f) => f.name === name);
  if (!fn) throw new Error(`cloudbaserc.json declares no ${name}`);
  return fn;
};

test('this repository is deployable: every function, trigger, permission, package and collection checks out', () => {
  const plan = readPlan(REPO_ROOT);
  expect(planProblems(plan)).toEqual([]);
  expect(plan.undeclared).toEqual([]);
  expect(plan.collections.map((c) => c.name).sort()).toEqual(Object.keys((JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'database', 'collections.json'), 'utf8')) as Collections).collections).sort());
});

describe('cloudbaserc.json', () => {
  it('refuses a function folder it does not declare, and a function it declares without a source', () => {
    expect(
      problemsAfter((root) => {
        fs.mkdirSync(path.join(root, 'cloudfunctions', 'stray', 'src'), { recursive: true });
        fs.writeFileSync(path.join(root, 'cloudfunctions', 'stray', 'src', 'index.ts'), 'export const main = () => 1;\n');
      }),
    ).toEqual(['cloudfunctions/stray is not declared in cloudbaserc.json']);
    expect(problemsAfter((root) => fs.rmSync(path.join(root, 'cloudfunctions', 'callback', 'src'), { recursive: true }))).toEqual(['cloudbaserc.json declares callback but cloudfunctions/callback/src/index.ts is missing']);
  });

  it('refuses any function folder it does not declare, whatever the folder holds, but not a dot-folder or a file', () => {
    expect(
      problemsAfter((root) => {
        const functions = path.join(root, 'cloudfunctions');
        fs.mkdirSync(path.join(functions, 'empty'));
        fs.mkdirSync(path.join(functions, 'old-track'));
        fs.writeFileSync(path.join(functions, 'old-track', 'index.js'), 'exports.main = async () => 1;\n');
        fs.mkdirSync(path.join(functions, '.cache'));
        fs.writeFileSync(path.join(functions, '.cache', 'index.js'), 'exports.main = async () => 1;\n');
        fs.writeFileSync(path.join(functions, 'README.md'), 'notes\n');
      }),
    ).toEqual(['cloudfunctions/empty is not declared in cloudbaserc.json', 'cloudfunctions/old-track is not declared in cloudbaserc.json']);
  });

  it('refuses a function it declares twice, naming it once', () => {
    expect(
      problemsAfter((root) =>
        editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => {
          rc.functions.push({ ...declared(rc, 'callback'), timeout: 10 }, { ...declared(rc, 'callback') });
        }),
      ),
    ).toEqual(['cloudbaserc.json declares the function callback 3 times: the CLI deploys its entries at once, and which one\'s settings the cloud keeps is a race; keep one entry']);
  });

  it('refuses a runtime or timeout left to the CLI\'s defaults, and values CloudBase does not take', () => {
    expect(problemsAfter((root) => editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => delete declared(rc, 'track').timeout))).toEqual([
      'track: set runtime and timeout explicitly in cloudbaserc.json (the CLI\'s defaults are not the docs\')',
    ]);
    expect(problemsAfter((root) => editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (declared(rc, 'track').timeout = 61)))).toEqual(['track: timeout must be a whole number of seconds from 1 to 60']);
    expect(problemsAfter((root) => editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (declared(rc, 'track').memorySize = 300)))).toEqual(['track: set memorySize in cloudbaserc.json to 128, 256, 512, 1024, 2048 MB']);
    // a number, as the emulator takes it (a string starts no emulator)
    expect(problemsAfter((root) => editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => ((declared(rc, 'track') as { memorySize?: unknown }).memorySize = '256')))).toEqual(['track: set memorySize in cloudbaserc.json to 128, 256, 512, 1024, 2048 MB']);
    // none at all is the CLI's 256, but the deploy asks for it written out, as it asks for the runtime and timeout; the plan says it is missing, not "undefined MB"
    const root = copyProject();
    editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => delete (declared(rc, 'track') as { memorySize?: unknown }).memorySize);
    const plan = readPlan(root);
    expect(planProblems(plan)).toEqual(['track: set memorySize in cloudbaserc.json to 128, 256, 512, 1024, 2048 MB']);
    expect(planLines(plan, { files: [], variables: [] }).find((line) => line.startsWith('  track:'))).toMatch(/^ {2}track: Nodejs18\.15, no memorySize, timeout \d+ s,/);
    expect(problemsAfter((root) => editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (declared(rc, 'track').runtime = 'Nodejs16.13')))).toEqual(['track: runtime Nodejs16.13 is older than node18, which scripts/build.js bundles for']);
    expect(problemsAfter((root) => editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (declared(rc, 'track').runtime = 'Python3.9')))).toEqual(['track: runtime Python3.9 is not one of CloudBase\'s Node.js runtimes (Nodejs18.15)']);
  });

  it('refuses a value written into the repository where .env must give it', () => {
    expect(problemsAfter((root) => editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (declared(rc, 'track').envVariables = { RUKOU_SHARE_SECRET: 'a-secret-in-git-forever' })))).toEqual([
      'track: envVariables.RUKOU_SHARE_SECRET must be "{{env.RUKOU_SHARE_SECRET}}": values come from .env, never from the repository',
    ]);
    expect(problemsAfter((root) => editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (rc.envId = 'my-env-1a2b')))).toEqual(['cloudbaserc.json: envId must be "{{env.ENV_ID}}": the environment comes from .env, never from the repository']);
  });

  it('refuses a trigger the CLI would not create as written, or that config.json does not say the same of', () => {
    const drift = problemsAfter((root) =>
      editJson<FunctionConfig>(root, 'cloudfunctions/rollup/config.json', (config) => {
        if (config.triggers) config.triggers[0].config = '0 0 1 * * * *';
      }),
    );
    expect(drift).toEqual(['rollup: the triggers in config.json and cloudbaserc.json differ']);
    const badCron = problemsAfter((root) => {
      const trigger = { name: '2nd', type: 'cos', config: '0 17 0 * * *' };
      editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (declared(rc, 'rollup').triggers = [trigger]));
      editJson<FunctionConfig>(root, 'cloudfunctions/rollup/config.json', (config) => (config.triggers = [trigger]));
    });
    expect(badCron).toEqual([
      'rollup: trigger 2nd must be of type timer, the only one the CLI creates',
      'rollup: trigger name 2nd must start with a letter and hold at most 60 letters, digits, _ or -',
      'rollup: trigger 2nd\'s config must be a 7-field cron, second to year',
    ]);
    const two = problemsAfter((root) => {
      const triggers = [
        { name: 'dailyRollup', type: 'timer', config: '0 17 0 * * * *' },
        { name: 'again', type: 'timer', config: '0 17 12 * * * *' },
      ];
      editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (declared(rc, 'rollup').triggers = triggers));
      editJson<FunctionConfig>(root, 'cloudfunctions/rollup/config.json', (config) => (config.triggers = triggers));
    });
    expect(two).toEqual(['rollup: WeChat takes one trigger per function, cloudbaserc.json declares 2']);
    // seven fields, but no time: the CLI would only warn of the timer the cloud refused
    const outOfRange = problemsAfter((root) => {
      const trigger = { name: 'dailyRollup', type: 'timer', config: '0 61 25 * * * *' };
      editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (declared(rc, 'rollup').triggers = [trigger]));
      editJson<FunctionConfig>(root, 'cloudfunctions/rollup/config.json', (config) => (config.triggers = [trigger]));
    });
    expect(outOfRange).toEqual([expect.stringMatching(/^rollup: trigger dailyRollup's config is no cron the cloud takes: .*minute 61 is outside 0-59/)]);
    const never = problemsAfter((root) => {
      const trigger = { name: 'dailyRollup', type: 'timer', config: '0 0 2 31 2 * *' };
      editJson<Cloudbaserc>(root, 'cloudbaserc.json', (rc) => (declared(rc, 'rollup').triggers = [trigger]));
      editJson<FunctionConfig>(root, 'cloudfunctions/rollup/config.json', (config) => (config.triggers = [trigger]));
    });
    expect(never).toEqual(['rollup: trigger dailyRollup\'s config "0 0 2 31 2 * *" never fires again']);
  });
});

describe('a function\'s folder, as WeChat DevTools uploads it', () => {
  it('refuses a call its config.json does not permit, and a permission its code never uses', () => {
    expect(
      problemsAfter((root) => editJson<FunctionConfig>(root, 'cloudfunctions/messages/config.json', (config) => (config.permissions.openapi = ['subscribeMessage.getTemplateList']))),
    ).toEqual(['messages: its code calls subscribeMessage.send, which config.json\'s permissions.openapi does not list (WeChat would answer -604101)']);
    expect(problemsAfter((root) => editJson<FunctionConfig>(root, 'cloudfunctions/track/config.json', (config) => (config.permissions.openapi = [])))).toEqual([
      'track: its code calls cloudbase.getOpenData, which config.json\'s permissions.openapi does not list (WeChat would answer -604101)',
    ]);
    expect(problemsAfter((root) => editJson<FunctionConfig>(root, 'cloudfunctions/callback/config.json', (config) => config.permissions.openapi.push('wxacode.getUnlimited')))).toEqual([
      'callback: config.json\'s permissions.openapi lists wxacode.getUnlimited, which its code never calls',
    ]);
  });

  it('refuses a bundle that reaches openapi by a name no check can read', () => {
    const problems = problemsAfter((root) => fs.appendFileSync(path.join(root, 'cloudfunctions', 'rollup', 'index.js'), '\nconst ask = (g, m) => require("wx-server-sdk").openapi[g][m]({});\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^rollup: its bundle reaches cloud\.openapi where no API can be named \(line \d+: .*openapi\[g\]\): write each call as cloud\.openapi\.<namespace>\.<method>\(…\)$/);
  });

  it('refuses a function that is not built, or has TypeScript beside its index.js', () => {
    expect(problemsAfter((root) => fs.rmSync(path.join(root, 'cloudfunctions', 'track', 'index.js')))).toEqual(['track: cloudfunctions/track/index.js is not built: run npm run build']);
    expect(problemsAfter((root) => fs.writeFileSync(path.join(root, 'cloudfunctions', 'track', 'index.ts'), 'export const main = () => 1;\n'))).toEqual([
      'track: cloudfunctions/track/index.ts: WeChat DevTools does not upload a function with TypeScript beside its index.js; it belongs in src/',
    ]);
    expect(problemsAfter((root) => fs.rmSync(path.join(root, 'cloudfunctions', 'track', 'config.json')))).toEqual([
      'track: cloudfunctions/track/config.json is missing (what WeChat DevTools uploads: the function\'s openapi permissions and trigger)',
      'track: its code calls cloudbase.getOpenData, which config.json\'s permissions.openapi does not list (WeChat would answer -604101)',
    ]);
  });

  it('refuses a package the bundle requires that the cloud would not install, and an SDK other than the one tested', () => {
    expect(problemsAfter((root) => fs.appendFileSync(path.join(root, 'cloudfunctions', 'callback', 'index.js'), '\nrequire("left-pad");\n'))).toEqual([
      'callback: its bundle requires left-pad, which its package.json does not list: the cloud installs only those',
    ]);
    expect(problemsAfter((root) => editJson<FunctionPackage>(root, 'cloudfunctions/callback/package.json', (pkg) => (pkg.dependencies.dayjs = '^1.11.0')))).toEqual([
      'callback: package.json lists dayjs, which its bundle never requires',
    ]);
    const sdk = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> }).packages['node_modules/wx-server-sdk'].version;
    expect(problemsAfter((root) => editJson<FunctionPackage>(root, 'cloudfunctions/callback/package.json', (pkg) => (pkg.dependencies['wx-server-sdk'] = '^3.0.0')))).toEqual([
      `callback: package.json asks wx-server-sdk ^3.0.0, where every test runs ${sdk} (package-lock.json): ask exactly that`,
    ]);
    expect(problemsAfter((root) => editJson<FunctionPackage & { optionalDependencies?: object }>(root, 'cloudfunctions/callback/package.json', (pkg) => (pkg.optionalDependencies = { 'wx-server-sdk': '^5.0.0' })))).toEqual([
      'callback: package.json names wx-server-sdk in optionalDependencies, which npm takes over dependencies: name it in dependencies only',
    ]);
    expect(problemsAfter((root) => editJson<FunctionPackage>(root, 'cloudfunctions/callback/package.json', (pkg) => (pkg.main = 'src/index.ts')))).toEqual([
      'callback: package.json\'s main must be index.js, the built bundle',
    ]);
  });
});

test('a project file that is not JSON is named', () => {
  const root = copyProject();
  fs.writeFileSync(path.join(root, 'database', 'collections.json'), '{ collections: {} }');
  expect(() => readPlan(root)).toThrow(`${path.join(root, 'database', 'collections.json')} is not JSON: `);
});

test('cloudbaserc.json\'s functionDefaultConfig counts for every function, under its own entry, as the CLI merges it', () => {
  const problems = problemsAfter((root) =>
    editJson<Cloudbaserc & { functionDefaultConfig?: object }>(root, 'cloudbaserc.json', (rc) => (rc.functionDefaultConfig = { timeout: 3, envVariables: { RUKOU_RETENTION_DAYS: '99999' } })),
  );
  // rollup's own entry names the variable, which wins
  expect(problems).toEqual(
    ['track', 'admin', 'messages', 'callback'].map((name) => `${name}: envVariables.RUKOU_RETENTION_DAYS must be "{{env.RUKOU_RETENTION_DAYS}}": values come from .env, never from the repository`),
  );
  const root = copyProject();
  editJson<Cloudbaserc & { functionDefaultConfig?: object }>(root, 'cloudbaserc.json', (rc) => {
    rc.functionDefaultConfig = { memorySize: 512, ignore: ['node_modules', 'src', 'fixtures'] };
    delete declared(rc, 'track').memorySize;
  });
  const plan = readPlan(root);
  expect(plan.functions.map((fn) => fn.declared.memorySize)).toEqual([512, 256, 256, 256, 256]);
  // lodash.merge merges arrays element by element: the entry's two over the default's first two
  expect(plan.functions[0].declared.ignore).toEqual(['src', '*.ts', 'fixtures']);
  expect(plan.functions.find((fn) => fn.name === 'rollup')?.declared.timeout).toBe(60);
});

describe('database/collections.json', () => {
  it('refuses rules that let clients in, and a collection or an index of no shape, naming it', () => {
    const problems = problemsAfter((root) =>
      editJson<Collections>(root, 'database/collections.json', (file) => {
        file.collections.goals.rules = { read: true, write: false };
        (file.collections as Record<string, unknown>).events = null;
        (file.collections.users.indexes as unknown[]).push({ name: 'nokeys' });
      }),
    );
    expect(problems).toEqual([
      'collection events: its rules need read and write, each true, false or an expression of at most 1024 characters',
      'collection users: index nokeys needs 1 to 31 keys',
      'collection goals: its rules must be read false and write false: clients reach the data through the functions only, never directly',
    ]);
  });

  it('refuses a collection name the cloud does not take, by the emulator\'s rule', () => {
    const names = ['bad$name', 'system.x', '', 'nul\u0000x'];
    const problems = problemsAfter((root) =>
      editJson<Collections>(root, 'database/collections.json', ({ collections }) => {
        for (const name of names) collections[name] = { rules: { read: false, write: false }, indexes: [] };
      }),
    );
    expect(problems).toEqual(names.map((name) => `collection ${JSON.stringify(name)}: a name the cloud does not take (not empty, no $ or NUL, and not system.*: MongoDB's rules, which CloudBase follows)`));
  });

  it('refuses an index named _id_, which MongoDB keeps for the _id index, whatever its keys', () => {
    for (const field of ['openid', '_id']) {
      expect(problemsAfter((root) => editJson<Collections>(root, 'database/collections.json', ({ collections }) => void collections.users.indexes.push({ name: '_id_', keys: [{ name: field, direction: '1' }] })))).toEqual([
        'collection users: index _id_ is the name MongoDB keeps for the _id index every collection already has ("The index name \'_id_\' is reserved for the _id index"): name it otherwise',
      ]);
    }
  });

  it('refuses a plan that does not create a collection the functions\' code uses', () => {
    expect(problemsAfter((root) => editJson<Collections>(root, 'database/collections.json', ({ collections }) => void delete collections.revisions))).toEqual([
      'database/collections.json does not create the collection revisions, which rollup and admin use: a timer or a call would meet it missing',
    ]);
    const none = problemsAfter((root) => fs.rmSync(path.join(root, 'database', 'collections.json')));
    expect(none).toHaveLength(18);
    expect(none).toContain('database/collections.json does not create the collection chats, which callback uses: a timer or a call would meet it missing');
  });

  it('refuses a rule without read and write, an index twice, and a direction CloudBase does not have', () => {
    const problems = problemsAfter((root) =>
      editJson<Collections>(root, 'database/collections.json', ({ collections }) => {
        collections.goals.rules = { read: false };
        collections.users.indexes.push({ ...collections.users.indexes[0] });
        collections.users.indexes.push({ name: 'backwards', keys: [{ name: 'firstDay', direction: 'desc' }] });
        collections.users.indexes.push({ name: 'nothing', keys: [] });
        for (let i = collections.users.indexes.length; i < 21; i++) collections.users.indexes.push({ name: `spare${i}`, keys: [{ name: `f${i}`, direction: '1' }] });
      }),
    );
    expect(problems).toEqual([
      'collection users: 21 indexes, where a collection takes 20',
      'collection users: index firstDay is declared twice',
      'collection users: index backwards key firstDay has direction desc, not one of 1, -1, 2dsphere',
      'collection users: index nothing needs 1 to 31 keys',
      'collection goals: its rules need read and write, each true, false or an expression of at most 1024 characters',
    ]);
  });
});
