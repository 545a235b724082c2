import cloud from 'wx-server-sdk';
import { FIXTURE_PROJECT, startEmulator, useEmulatorFromThisProcess, type RunningEmulator, type StartOptions } from '../../helpers/emulator';

export { cloud };
/**
 * The SDK's bundled typings describe its callback overloads (`Promise | void | string`) and lack
 * commands it has (`expr`, `bit` objects): the suites read the promise answers, and their
 * assertions are what check the shapes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Database = any;

export interface DatabaseStats {
  examined: number;
  logBytes: number;
  liveBytes: number;
  compactions: number;
  compacting: boolean;
  openTransactions: number;
  /** Which path answered, counted since the emulator started (emulator/database/fallback.ts). */
  answeredBy: { compiledStages: number; mingoStages: number; compiledTests: number; mingoTests: number };
}

/** Starts the built emulator on the fixture project and points this process's SDK at it. */
export async function startDatabase(options: StartOptions = {}): Promise<{ emulator: RunningEmulator; db: Database }> {
  const emulator = await startEmulator({ project: FIXTURE_PROJECT, timers: false, ...options });
  useEmulatorFromThisProcess(emulator.url);
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  return { emulator, db: cloud.database() as Database };
}

export async function stats(emulator: RunningEmulator): Promise<DatabaseStats> {
  const response = await fetch(`${emulator.url}/__rukou/database/stats`);
  return (await response.json()) as DatabaseStats;
}

/** Empties a collection through the SDK (a where clause is required; every document has an _id). */
export async function clear(db: Database, name: string): Promise<void> {
  await db.collection(name).where({ _id: db.command.exists(true) }).remove();
}

/** Documents inserted straight through the wire as EJSON texts: values the SDK does not make (a Long, a Decimal128). */
export async function insertEJSON(emulator: RunningEmulator, collectionName: string, docs: string[]): Promise<unknown> {
  const body = { envName: 'rukou-local', action: 'database.insertDocument', collectionName, data: docs };
  const response = await fetch(`${emulator.url}/admin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}
