/**
 * The functions' configuration, read from the environment in this one place (the cloud sets
 * each function's `envVariables` from cloudbaserc.json).
 */
export interface ServerConfig {
  /** Raw events older than this many days are purged once their day is rolled up. */
  retentionDays: number;
  /** Openids that are operators without an `admins` document. */
  operators: ReadonlySet<string>;
  /** Hex SHA-256 digests of the bearer tokens accepted over HTTP access (the web dashboard). */
  adminTokenSha256: readonly string[];
}

export const DEFAULT_RETENTION_DAYS = 90;

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    // an unrendered `{{env.X}}` placeholder from cloudbaserc.json must never count as a value
    .filter((item) => item !== '' && !item.includes('{{'));

export function serverConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const retention = Number(env.RUKOU_RETENTION_DAYS ?? DEFAULT_RETENTION_DAYS);
  return {
    retentionDays: Number.isInteger(retention) && retention > 0 ? retention : DEFAULT_RETENTION_DAYS,
    operators: new Set(list(env.RUKOU_OPERATORS)),
    adminTokenSha256: list(env.RUKOU_ADMIN_TOKEN_SHA256).map((hash) => hash.toLowerCase()).filter((hash) => /^[0-9a-f]{64}$/.test(hash)),
  };
}
