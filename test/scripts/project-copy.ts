/**
 * A copy of what the deploy reads (cloudbaserc.json, package.json, database/, cloudfunctions/ with
 * their built bundles, the Mini Program's tracking module), in a temporary folder, for the deploy suites that change it. Built first:
 * the bundles are copied as `npm run build` left them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, tempDir } from '../helpers/emulator';

/** @param withScripts also scripts/, the emulator's modules the build wrote for them (cron parser, collection-name rule, cloudbaserc.json reading) and a link to node_modules, for running scripts/deploy.js there */
export function copyProject(withScripts = false): string {
  const root = tempDir('rukou-deploy-');
  for (const item of ['cloudbaserc.json', 'package.json', 'package-lock.json', 'database', 'cloudfunctions', 'miniprogram/tracking.ts', ...(withScripts ? ['scripts', 'dist/cron.js', 'dist/collection-names.js', 'dist/cloudbaserc.js', 'dist/function-config.js'] : [])]) {
    fs.cpSync(path.join(REPO_ROOT, item), path.join(root, item), { recursive: true });
  }
  if (withScripts) fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return root;
}

/** The shapes of the files the deploy reads, as far as the suites change them. */
export interface Trigger {
  name: string;
  type: string;
  config: string;
}
export interface Cloudbaserc {
  envId: string;
  functions: { name: string; runtime?: string; timeout?: number; memorySize?: number; envVariables?: Record<string, string>; triggers?: Trigger[] }[];
}
export interface FunctionConfig {
  permissions: { openapi: string[] };
  triggers?: Trigger[];
}
export interface FunctionPackage {
  main: string;
  dependencies: Record<string, string>;
}
export interface Collections {
  collections: Record<string, { rules: Record<string, unknown>; indexes: { name: string; unique?: boolean; keys: { name: string; direction: string }[] }[] }>;
}

/** Rewrites a JSON file of the copy. */
export function editJson<T>(root: string, file: string, edit: (json: T) => void): void {
  const full = path.join(root, file);
  const json = JSON.parse(fs.readFileSync(full, 'utf8')) as T;
  edit(json);
  fs.writeFileSync(full, JSON.stringify(json, null, 2));
}
