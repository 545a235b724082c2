/**
 * package.json and package-lock.json as `npm install` meets them: the lock already says what
 * npm would write (so that an install leaves it unchanged), `engines` is what the dependencies
 * need, the README states it, and the LICENSE is package.json's.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { REPO_ROOT } from '../helpers/emulator';

interface Manifest {
  name: string;
  version: string;
  license: string;
  engines: { node: string };
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  libc?: string[];
}

const read = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8')) as T;
const manifest = read<Manifest>('package.json');
const lock = read<{ name: string; version: string; packages: Record<string, LockEntry & Partial<Manifest>> }>('package-lock.json');

test("the lock's own entry is package.json's: an install has nothing to write there", () => {
  const { name, version, license, engines, bin, dependencies, devDependencies } = manifest;
  expect({ name: lock.name, version: lock.version }).toEqual({ name, version });
  expect(lock.packages['']).toMatchObject({ name, version, license, engines, bin, dependencies, devDependencies });
});

test('the lock records no libc: npm 10 (Node 20 and 22) deletes what npm 11 writes, so an install would change it', () => {
  // regenerate it with `npx npm@10 install`, which npm 11 leaves as it is
  const withLibc = Object.entries(lock.packages).filter(([, entry]) => entry.libc !== undefined).map(([where]) => where);
  expect(withLibc).toEqual([]);
});

/** The Node versions some installed package's engines.node refuses to include. */
function needs(): { where: string; range: string }[] {
  return Object.entries(lock.packages).flatMap(([where, entry]) => {
    const range = where !== '' && !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
    return range ? [{ where: `${where.replace(/^.*node_modules\//, '')}@${entry.version}`, range }] : [];
  });
}

/** The version just below `version`: 20.18.9999 below 20.19.0. */
function justBelow(version: semver.SemVer): string {
  if (version.patch > 0) return `${version.major}.${version.minor}.${version.patch - 1}`;
  if (version.minor > 0) return `${version.major}.${version.minor - 1}.9999`;
  return `${version.major - 1}.9999.9999`;
}

test('engines.node accepts only Node versions every installed package accepts', () => {
  const ours = manifest.engines.node;
  expect(needs().filter(({ range }) => !semver.subset(ours, range)).map(({ where, range }) => `${where} needs ${range}`)).toEqual([]);
});

test('engines.node is no narrower than they need: each of its floors is one some package has', () => {
  const ours = new semver.Range(manifest.engines.node);
  for (const set of ours.set) {
    const floor = semver.minVersion(new semver.Range(set.map((comparator) => comparator.value).join(' ')))!;
    const below = justBelow(floor);
    expect(semver.satisfies(below, ours)).toBe(false);
    expect(needs().filter(({ range }) => !semver.satisfies(below, range))).not.toEqual([]);
  }
});

test('the README states the Node versions of engines', () => {
  expect(fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')).toContain(`\`${manifest.engines.node}\``);
});

test("LICENSE is package.json's license", () => {
  expect(manifest.license).toBe('MIT');
  const license = fs.readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8');
  expect(license).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} Rukou authors\n/);
  expect(license).toContain('Permission is hereby granted, free of charge, to any person obtaining a copy');
});
