/**
 * A collection's name as the cloud takes one. CloudBase asks for names that follow MongoDB's rules
 * (its HTTP API, create collection: "集合名称必须符合 MongoDB 命名规范",
 * docs.cloudbase.net/http-api/nosql/create-collection), and MongoDB 4.0 states them (limits,
 * Restrictions on Collection Names): not empty, no `$` or NUL, and nothing in the `system.`
 * namespace, which the server keeps for itself. One rule for `db.createCollection`, for the
 * collections of database/collections.json the emulator starts with, and for the deploy's checks,
 * which read it built (dist/collection-names.js), so that none of them passes a name another refuses.
 */

/** The rule in words, for the messages of all three. */
export const COLLECTION_NAME_RULE = 'not empty, no $ or NUL, and not system.*';

export const isCollectionName = (name: string): boolean => name !== '' && !/[$\0]/.test(name) && !name.startsWith('system.');
