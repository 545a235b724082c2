/**
 * What the deploy reads from a function's bundle: the cloud calls its config.json must permit
 * and the packages its package.json must list. On this repository every function's permissions
 * are exactly the calls its bundle makes; on made-up code each way of reaching WeChat is counted,
 * or refused when it cannot be named, and nothing in a string or a comment counts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { scanBundle } from '../../scripts/deploy/bundle';
import { readPlan } from '../../scripts/deploy/plan';
import { REPO_ROOT } from '../helpers/emulator';

describe('this repository', () => {
  const plan = readPlan(REPO_ROOT);

  it('holds every function folder, built', () => {
    expect(plan.functions.map((fn) => fn.name).sort()).toEqual(fs.readdirSync(path.join(REPO_ROOT, 'cloudfunctions')).sort());
    for (const fn of plan.functions) expect({ name: fn.name, built: fn.bundle !== undefined }).toEqual({ name: fn.name, built: true });
  });

  it.each(plan.functions.map((fn) => [fn.name, fn] as const))('%s: config.json permits exactly the cloud calls its bundle makes, and its package.json lists exactly what it requires', (_name, fn) => {
    expect(fn.bundle?.unreadable).toEqual([]);
    expect(fn.bundle?.cloudCalls).toEqual([...(fn.config?.permissions?.openapi as string[])].sort());
    expect(fn.bundle?.packages).toEqual(Object.keys(fn.packageJson?.dependencies ?? {}).sort());
  });
});

describe('scanBundle', () => {
  it('counts cloud.openapi.<namespace>.<method>(…) whatever holds the cloud, each call once', () => {
    const code = 'const a = () => cloud.openapi.subscribeMessage.send({ touser }); const b = () => getCloud().openapi.wxacode.getUnlimited({}); cloud.openapi.subscribeMessage.send({});';
    expect(scanBundle(code)).toEqual({ cloudCalls: ['subscribeMessage.send', 'wxacode.getUnlimited'], unreadable: [], packages: [], collections: [] });
  });

  it('counts cloud.getOpenData({ list }) as cloudbase.getOpenData, and not a pass-through handed the cloudIDs', () => {
    expect(scanBundle('await cloud.getOpenData({ list: ids })').cloudCalls).toEqual(['cloudbase.getOpenData']);
    expect(scanBundle('await deps.getOpenData(cloudIDs)').cloudCalls).toEqual([]);
  });

  it('counts nothing written in strings or comments', () => {
    const code = 'const s = "cloud.openapi.subscribeMessage.send({})"; /* cloud.openapi.a.b() */ // cloud.getOpenData({})\nconst t = `require("left-pad")`;';
    expect(scanBundle(code)).toEqual({ cloudCalls: [], unreadable: [], packages: [], collections: [] });
  });

  it.each([
    ['a computed name', 'const call = (group, method) => cloud.openapi[group][method]({});'],
    ['an alias', 'const api = cloud.openapi; api.subscribeMessage.send({});'],
    ['a destructuring', 'const { openapi } = cloud;'],
    ['a method read and not called', 'const send = cloud.openapi.subscribeMessage.send;'],
  ])('names the line of openapi reached through %s, which no permission can be checked against', (_way, code) => {
    const use = scanBundle(code);
    expect(use.cloudCalls).toEqual([]);
    expect(use.unreadable).toHaveLength(1);
    expect(use.unreadable[0]).toMatch(/^line 1: .*openapi/);
  });

  it('lists the packages required by name, not Node\'s own, a module path under its package', () => {
    const code = 'require("wx-server-sdk"); require("ajv/dist/runtime/ucs2length"); require("@scope/pkg/lib/x"); require("node:crypto"); require("fs"); require(dynamicName);';
    expect(scanBundle(code).packages).toEqual(['@scope/pkg', 'ajv', 'wx-server-sdk']);
  });

  it('lists the collections named in .collection(\'<name>\') and in a pipeline\'s { collection: \'<name>\' }, not in strings or other keys', () => {
    const code = 'db.collection("events").add({}); x.collection("users").where({}); const p = { collection: "user_days", stages: [] }; const q = { from: "goals" }; db.collection(name); const s = "db.collection(\\"nope\\")";';
    expect(scanBundle(code).collections).toEqual(['events', 'user_days', 'users']);
  });
});
