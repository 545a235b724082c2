/**
 * The MongoDB the emulator answers as: 4.0. CloudBase's database is Tencent's own store,
 * compatible with MongoDB 4.0 ("腾讯云使用的腾讯云自研的文档型数据库（兼容mongoDB 4.0版本）", uniCloud's
 * database guide, whose Tencent side is CloudBase: https://gitcode.net/dcloud/uni-app/-/blame/1fa24a53/docs/uniCloud/cf-database.md),
 * and its answers carry 4.0's texts (a find's sort past 32 MiB, limits.ts). A pipeline stage
 * that 4.0 does not know is refused as 4.0 refuses it; one it knows that the emulator does not
 * run is refused saying so, rather than answered as if it had run.
 */
import { BackendError } from '../errors';
import type { Doc } from './ejson';
import { isPlainObject } from './semantics';

/** The stages of MongoDB 4.0 that the emulator runs. */
const RUN = new Set(['$addFields', '$bucket', '$bucketAuto', '$count', '$facet', '$graphLookup', '$group', '$limit', '$lookup', '$match', '$project', '$redact', '$replaceRoot', '$sample', '$skip', '$sort', '$sortByCount', '$unwind']);

/** The stages of MongoDB 4.0 that the emulator does not run, and why. */
const NOT_RUN: Record<string, string> = {
  $out: "wx-server-sdk cannot build it (its out() throws before sending, as facet() does) and CloudBase's database reference documents none, so what the cloud would write is not known: write the documents with add()",
  $geoNear: 'the emulator has no geo queries',
  $collStats: 'the emulator keeps no collection statistics',
  $indexStats: 'the emulator keeps no index statistics',
  $currentOp: 'the emulator runs one operation at a time',
  $listSessions: 'the emulator has no sessions',
  $listLocalSessions: 'the emulator has no sessions',
};

/**
 * Refuses a pipeline holding a stage the emulator does not answer as MongoDB 4.0 would: one 4.0
 * does not know (`$set`, `$unset`, `$merge` and `$replaceWith` came in 4.2, `$unionWith` in 4.4,
 * `$setWindowFields` in 5.0, `$densify`, `$fill` and `$documents` in 5.1), with 4.0's text, or one
 * the emulator does not run. Pipelines inside `$lookup` and `$facet` too.
 */
export function checkStages(pipeline: readonly Doc[]): void {
  for (const stage of pipeline) {
    for (const [name, spec] of Object.entries(stage)) {
      if (Object.hasOwn(NOT_RUN, name)) throw new BackendError('DATABASE_INVALID_OPERRATOR', `the emulator does not run ${name}: ${NOT_RUN[name]}`);
      if (!RUN.has(name)) throw new BackendError('DATABASE_INVALID_OPERRATOR', `Unrecognized pipeline stage name: '${name}'`);
      if (name === '$lookup' && isPlainObject(spec) && Array.isArray(spec.pipeline)) checkStages(spec.pipeline.filter(isPlainObject));
      if (name === '$facet' && isPlainObject(spec)) for (const inner of Object.values(spec)) if (Array.isArray(inner)) checkStages(inner.filter(isPlainObject));
    }
  }
}
