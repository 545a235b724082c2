import { DEFAULT_BACKFILL_SECONDS, DEFAULT_RETENTION_DAYS, DEFAULT_USER_DAY_RETENTION_DAYS, MAX_RETENTION_DAYS, serverConfig } from '../../server/config';

test('an unset {{env.X}} (rendered as "") or a bad value falls back to the defaults, never to zero', () => {
  for (const value of [undefined, '', ' ', 'soon', '-5', '1.5', '1e3', '0x10']) {
    const config = serverConfig({ RUKOU_BACKFILL_SECONDS: value, RUKOU_RETENTION_DAYS: value, RUKOU_USER_DAY_RETENTION_DAYS: value, RUKOU_OPERATORS: value });
    expect(config.rollupBudgetMs).toBe(DEFAULT_BACKFILL_SECONDS * 1000);
    expect(config.retentionDays).toBe(DEFAULT_RETENTION_DAYS);
    expect(config.userDayRetentionDays).toBe(DEFAULT_USER_DAY_RETENTION_DAYS);
  }
  expect(serverConfig({ RUKOU_OPERATORS: '{{env.RUKOU_OPERATORS}}' }).operators.size).toBe(0);
});

test('set values are read: whole seconds, days, and a comma-separated list of operators', () => {
  const config = serverConfig({ RUKOU_BACKFILL_SECONDS: '0', RUKOU_RETENTION_DAYS: '30', RUKOU_OPERATORS: ' o-a , o-b,' });
  expect(config).toMatchObject({ rollupBudgetMs: 0, retentionDays: 30, userDayRetentionDays: DEFAULT_USER_DAY_RETENTION_DAYS });
  expect([...config.operators]).toEqual(['o-a', 'o-b']);
  expect(serverConfig({ RUKOU_USER_DAY_RETENTION_DAYS: '400' }).userDayRetentionDays).toBe(400);
});

test('user-days are kept at least as long as raw events: a day with events but no user-days could not be rolled up again', () => {
  expect(serverConfig({ RUKOU_RETENTION_DAYS: '365', RUKOU_USER_DAY_RETENTION_DAYS: '30' }).userDayRetentionDays).toBe(365);
  // a day's rollup is final once its user-days are gone: never before its late events (7 days) can arrive
  expect(serverConfig({ RUKOU_RETENTION_DAYS: '2', RUKOU_USER_DAY_RETENTION_DAYS: '3' }).userDayRetentionDays).toBe(8);
});

test('a retention past a century keeps a century, however long: never a cutoff no day can hold, which would purge every day', () => {
  for (const value of ['36501', '999999999', '99999999999999999999999']) {
    expect(serverConfig({ RUKOU_RETENTION_DAYS: value, RUKOU_USER_DAY_RETENTION_DAYS: value })).toMatchObject({ retentionDays: MAX_RETENTION_DAYS, userDayRetentionDays: MAX_RETENTION_DAYS });
  }
  expect(serverConfig({ RUKOU_RETENTION_DAYS: '36500' }).retentionDays).toBe(36_500);
});
