import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import fc from 'fast-check';
import * as time from '../../shared/time';
import { addDays, chinaDay, chinaDayEnd, chinaDayStart, dayRange, daysBetween, isChinaDay, previousDay } from '../../shared/time';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

describe('chinaDay: the Beijing calendar day of a UTC instant', () => {
  it('turns over at 16:00 UTC, not at UTC midnight', () => {
    expect(chinaDay(Date.parse('2024-05-01T15:59:59.999Z'))).toBe('2024-05-01');
    expect(chinaDay(Date.parse('2024-05-01T16:00:00.000Z'))).toBe('2024-05-02');
    expect(chinaDay(new Date('2024-05-01T00:30:00Z'))).toBe('2024-05-01');
  });

  it('crosses years and leap days', () => {
    expect(chinaDay(Date.parse('2023-12-31T16:00:00Z'))).toBe('2024-01-01');
    expect(chinaDay(Date.parse('2024-02-28T16:00:00Z'))).toBe('2024-02-29');
    expect(chinaDay(Date.parse('2024-02-29T16:00:00Z'))).toBe('2024-03-01');
  });
});

describe('day boundaries', () => {
  it('a China day starts at 16:00 UTC the day before and lasts 24 hours', () => {
    expect(chinaDayStart('2024-05-02').toISOString()).toBe('2024-05-01T16:00:00.000Z');
    expect(chinaDayEnd('2024-05-02').toISOString()).toBe('2024-05-02T16:00:00.000Z');
  });

  it('rejects days that are not real calendar days', () => {
    expect(isChinaDay('2024-02-29')).toBe(true);
    expect(isChinaDay('2023-02-29')).toBe(false);
    expect(isChinaDay('2024-02-30')).toBe(false);
    expect(isChinaDay('2024-5-1')).toBe(false);
    expect(isChinaDay(20240501)).toBe(false);
    expect(() => chinaDayStart('2024-13-01')).toThrow(RangeError);
  });

  it('reads the years 0000 to 0099 as themselves, not as 1900 to 1999, and writes a day outside 0000–9999 as ISO 8601 does, which is no day', () => {
    expect(isChinaDay('0099-12-31')).toBe(true);
    expect(isChinaDay('0000-02-29')).toBe(true);
    expect(isChinaDay('0100-02-29')).toBe(false);
    expect(chinaDayStart('0050-06-15').toISOString()).toBe('0050-06-14T16:00:00.000Z');
    expect(previousDay('0100-01-01')).toBe('0099-12-31');
    expect(daysBetween('0099-12-31', '0100-01-01')).toBe(1);
    expect(addDays('0000-01-01', -1)).toBe('-000001-12-31');
    expect(addDays('9999-12-31', 1)).toBe('+010000-01-01');
    expect(isChinaDay('-000001-12-31')).toBe(false);
  });

  it('refuses to count past the days a Date holds: "Invalid Date" would sort after every day', () => {
    expect(() => addDays('2026-11-30', -999_999_999)).toThrow(RangeError);
    expect(() => addDays('2026-11-30', 1e9)).toThrow(RangeError);
    expect(addDays('2026-11-30', -36_500)).toBe('1926-12-25');
  });

  it('every instant of the years 0000 to 9999 lies inside the China day it maps to, a day that reads back', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('0000-01-01T00:00:00Z') - 8 * 3_600_000, max: Date.parse('9999-12-31T15:59:59.999Z') }), (ms) => {
        const day = chinaDay(ms);
        expect(isChinaDay(day)).toBe(true);
        expect(chinaDayStart(day).getTime()).toBeLessThanOrEqual(ms);
        expect(chinaDayEnd(day).getTime()).toBeGreaterThan(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('every instant lies inside the China day it maps to', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        const day = chinaDay(ms);
        expect(chinaDayStart(day).getTime()).toBeLessThanOrEqual(ms);
        expect(chinaDayEnd(day).getTime()).toBeGreaterThan(ms);
      }),
    );
  });
});

describe('day arithmetic', () => {
  it('steps over month and year ends', () => {
    expect(previousDay('2024-03-01')).toBe('2024-02-29');
    expect(previousDay('2024-01-01')).toBe('2023-12-31');
    expect(addDays('2024-12-30', 3)).toBe('2025-01-02');
    expect(daysBetween('2024-02-27', '2024-03-02')).toBe(4);
    expect(daysBetween('2024-03-02', '2024-02-27')).toBe(-4);
  });

  it('ranges include both ends, in order, and are empty when reversed', () => {
    expect(dayRange('2024-02-28', '2024-03-01')).toEqual(['2024-02-28', '2024-02-29', '2024-03-01']);
    expect(dayRange('2024-03-01', '2024-03-01')).toEqual(['2024-03-01']);
    expect(dayRange('2024-03-02', '2024-03-01')).toEqual([]);
  });
});

describe('the machine time zone changes nothing', () => {
  const instants = [
    Date.parse('2024-05-01T15:59:59.999Z'),
    Date.parse('2024-05-01T16:00:00.000Z'),
    Date.parse('2024-03-10T07:30:00Z'), // a US daylight-saving switch
    Date.parse('2024-10-27T00:30:00Z'), // a European one
    Date.parse('2023-12-31T23:00:00Z'),
  ];
  const probe = (zoned: typeof time): unknown =>
    instants.map((ms) => {
      const day = zoned.chinaDay(ms);
      return [day, zoned.chinaDayStart(day).toISOString(), zoned.previousDay(day), zoned.dayRange(zoned.addDays(day, -2), day)];
    });
  const bundle = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rukou-time-')), 'time.js');

  beforeAll(() => {
    buildSync({ entryPoints: [path.join(REPO_ROOT, 'shared', 'time.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent' });
  });

  it.each(['UTC', 'Asia/Shanghai', 'America/Los_Angeles', 'Europe/Berlin', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'])('TZ=%s', (tz) => {
    const script = `const zoned = require(${JSON.stringify(bundle)}); const probe = ${probe.toString()}; const instants = ${JSON.stringify(instants)};
      process.stdout.write(JSON.stringify({ offset: new Date(instants[0]).getTimezoneOffset(), result: probe(zoned) }));`;
    const child = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, TZ: tz }, encoding: 'utf8' });
    expect(child.stderr).toBe('');
    const answer = JSON.parse(child.stdout) as { offset: number; result: unknown };
    // the child really ran in that zone (UTC itself has offset 0)
    if (tz !== 'UTC') expect(answer.offset).not.toBe(0);
    expect(answer.result).toEqual(JSON.parse(JSON.stringify(probe(time))));
  });
});
