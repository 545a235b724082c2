/**
 * MongoDB's refusals of update operators, which mingo's updater (that applies them, operations.ts)
 * does not make: it skips an `$inc` of a string, a `$push` onto a number or a `$set` through a
 * scalar, and the update then answers `{updated: 0}` where the cloud fails. Checked before mingo
 * applies anything, so that a refused update writes nothing. The texts are the server's (4.0,
 * src/mongo/db/update/*_node.cpp, path_support.cpp, field_checker.cpp).
 */
import { mongoRefusal } from '../errors';
import { elementText } from './bsontext';
import type { Doc } from './ejson';
import { equalValues, isNumeric, isPlainObject, typeName } from './semantics';
import { setField } from './values';

/** The operators that create a missing path (ModifierNode::allowCreation); the others leave a missing path alone. */
const CREATING = new Set(['$set', '$setOnInsert', '$inc', '$mul', '$push', '$addToSet', '$min', '$max', '$currentDate', '$bit']);

const INDEX = /^\d+$/;

/** A path through the positional operators (`$`, `$[]`, `$[id]`): mingo resolves those against the query and arrayFilters. */
const positional = (segments: readonly string[]): boolean => segments.some((segment) => segment.startsWith('$'));

/** The field paths an update names, its `$rename` targets included. */
function pathsOf(modifier: Doc): string[] {
  const paths: string[] = [];
  for (const [operator, fields] of Object.entries(modifier)) {
    if (!isPlainObject(fields)) continue;
    paths.push(...Object.keys(fields));
    if (operator === '$rename') paths.push(...Object.values(fields).filter((to): to is string => typeof to === 'string'));
  }
  return paths;
}

/**
 * Refuses an update whose paths MongoDB refuses before it reads a document (FieldRef and
 * fieldchecker::isUpdatable): an empty path, or one with an empty part (`a..b`, `q.`), which mingo
 * took as a field named "".
 */
export function checkUpdatePaths(modifier: Doc): void {
  for (const path of pathsOf(modifier)) {
    if (path === '') throw mongoRefusal('An empty update path is not valid.');
    if (path.split('.').includes('')) throw mongoRefusal(`The update path '${path}' contains an empty field name, which is not allowed.`);
  }
}

/** Where a path leads in a document. */
type Reached =
  /** The whole path exists: its value, and the names of the arrays it went through, outermost first. */
  | { found: true; value: unknown; arrays: string[] }
  /**
   * It stops at `container` (named `name`), which lacks part `at`: `viable` when the part could be
   * created there (an embedded document, or an array and a numeric part).
   */
  | { found: false; at: number; container: unknown; name: string; viable: boolean; arrays: string[] };

/** A path's parts followed through embedded documents, and through arrays by numeric parts only, as updates follow them. */
function reach(doc: Doc, segments: readonly string[]): Reached {
  let value: unknown = doc;
  let name = '';
  const arrays: string[] = [];
  for (let at = 0; at < segments.length; at++) {
    const segment = segments[at];
    let next: unknown;
    if (isPlainObject(value)) next = Object.hasOwn(value, segment) ? value[segment] : undefined;
    else if (Array.isArray(value) && INDEX.test(segment)) next = value[Number(segment)];
    else return { found: false, at, container: value, name, viable: false, arrays };
    if (next === undefined) return { found: false, at, container: value, name, viable: true, arrays };
    if (Array.isArray(value)) arrays.push(name);
    value = next;
    name = segment;
  }
  return { found: true, value, arrays };
}

/**
 * mingo's updater reads a field through JavaScript's properties, so a field named like what every
 * object inherits (`constructor`, `toString` …) looks present to it: an `$inc` there found a
 * function and did nothing, a `$push` threw. MongoDB's documents inherit nothing. Each such name on
 * the update's paths is shadowed by an own `undefined` (missing, to mingo) before the update;
 * the returned function removes those the update left missing.
 */
export function shadowInherited(doc: Doc, modifier: Doc): () => void {
  const shadowed: [Record<string, unknown>, string][] = [];
  for (const path of pathsOf(modifier)) {
    let value: unknown = doc;
    for (const segment of path.split('.')) {
      if (Array.isArray(value) && INDEX.test(segment)) {
        value = value[Number(segment)];
        continue;
      }
      if (!isPlainObject(value)) break;
      if (!Object.hasOwn(value, segment) && segment in value) {
        Object.defineProperty(value, segment, { value: undefined, enumerable: true, writable: true, configurable: true });
        shadowed.push([value, segment]);
      }
      value = value[segment];
    }
  }
  return () => {
    for (const [container, name] of shadowed) if (container[name] === undefined) delete container[name];
  };
}

/** UpdateLeafNode::checkViability: no field can be made inside a scalar, or by name inside an array. */
const cannotCreate = (stop: Extract<Reached, { found: false }>, segments: readonly string[]): Error =>
  mongoRefusal(`Cannot create field '${segments[stop.at]}' in element {${elementText(stop.name, stop.container)}}`);

const idOf = (doc: Doc): string => (doc._id === undefined ? 'no id' : elementText('_id', doc._id));

/** The refusal of `operator` for the value at the end of `path`, or null when it takes that value. */
function leafRefusal(operator: string, path: string, value: unknown, doc: Doc): Error | null {
  const field = path.slice(path.lastIndexOf('.') + 1);
  switch (operator) {
    case '$inc':
    case '$mul':
      return isNumeric(value) ? null : mongoRefusal(`Cannot apply ${operator} to a value of non-numeric type. {${idOf(doc)}} has the field '${field}' of non-numeric type ${typeName(value)}`);
    case '$push':
      return Array.isArray(value) ? null : mongoRefusal(`The field '${field}' must be an array but is of type ${typeName(value)} in document {${idOf(doc)}}`);
    case '$addToSet':
      return Array.isArray(value) ? null : mongoRefusal(`Cannot apply $addToSet to non-array field. Field named '${field}' has non-array type ${typeName(value)}`);
    case '$pull':
    case '$pullAll':
      return Array.isArray(value) ? null : mongoRefusal('Cannot apply $pull to a non-array value');
    case '$pop':
      return Array.isArray(value) ? null : mongoRefusal(`Path '${path}' contains an element of non-array type '${typeName(value)}'`);
    default:
      return null;
  }
}

/** The innermost array named, for the $rename refusals (the server walks up from the field). */
const innermost = (arrays: readonly string[]): string => arrays[arrays.length - 1];

/**
 * $rename (RenameNode::apply): a source through a scalar or by name through an array is not
 * viable; a source that exists may not sit in an array, and neither may its destination.
 */
function checkRename(doc: Doc, from: string, to: string): void {
  const source = reach(doc, from.split('.'));
  if (!source.found) {
    if (!source.viable) throw mongoRefusal(`cannot use the part (${source.name} of ${from}) to traverse the element ({${elementText(source.name, source.container)}})`);
    return;
  }
  if (source.arrays.length > 0) throw mongoRefusal(`The source field cannot be an array element, '${from}' in doc with ${idOf(doc)} has an array field called '${innermost(source.arrays)}'`);
  const segments = to.split('.');
  const target = reach(doc, segments);
  const arrays = target.found || !Array.isArray(target.container) ? target.arrays : [...target.arrays, target.name];
  if (arrays.length > 0) throw mongoRefusal(`The destination field cannot be an array element, '${to}' in doc with ${idOf(doc)} has an array field called '${innermost(arrays)}'`);
  if (!target.found && !target.viable) throw cannotCreate(target, segments);
}

/**
 * Refuses an update MongoDB refuses for this document: an operator given a value of a type it
 * does not take (`$inc` of a string or null, `$push` onto a number …), a field created inside a
 * scalar or by name inside an array, a `$rename` through an array. Paths through a positional
 * operator are left to mingo.
 *
 * @example
 * checkUpdate({ _id: 1, v: 1 }, { $set: { 'v.x': 1 } }) // throws "Cannot create field 'x' in element {v: 1}"
 */
export function checkUpdate(doc: Doc, modifier: Doc): void {
  for (const [operator, fields] of Object.entries(modifier)) {
    if (!isPlainObject(fields)) continue;
    for (const [path, argument] of Object.entries(fields)) {
      const segments = path.split('.');
      if (positional(segments)) continue;
      if (operator === '$rename') {
        if (typeof argument === 'string' && !positional(argument.split('.'))) checkRename(doc, path, argument);
        continue;
      }
      const reached = reach(doc, segments);
      if (reached.found) {
        const refusal = leafRefusal(operator, path, reached.value, doc);
        if (refusal) throw refusal;
      } else if (!reached.viable && CREATING.has(operator)) {
        throw cannotCreate(reached, segments);
      }
    }
  }
}

/**
 * An update's `$addToSet` as MongoDB applies it to `doc` (update/addtoset_node.cpp): each value
 * (or `$each` member) that neither the array holds nor an earlier value added is appended, and
 * the array's own duplicates stay. mingo's updater rewrote a set whose array held a duplicate
 * deduplicated, and added nothing to it. Answered as the `$push` of what is added, which mingo
 * applies as MongoDB does; a path through a positional operator, or an `$each` that is no list
 * (refused by mingo), is left as it was. Called once `checkUpdate` took the update.
 */
export function addToSetAsPush(doc: Doc, modifier: Doc): Doc {
  const { $addToSet: adds, ...others } = modifier;
  if (!isPlainObject(adds)) return modifier;
  const kept: Doc = {};
  const pushed: Doc = {};
  for (const [path, operand] of Object.entries(adds)) {
    const values = isPlainObject(operand) && Object.hasOwn(operand, '$each') ? operand.$each : [operand];
    const segments = path.split('.');
    if (positional(segments) || !Array.isArray(values)) {
      kept[path] = operand;
      continue;
    }
    const reached = reach(doc, segments);
    const added: unknown[] = [];
    const held = reached.found && Array.isArray(reached.value) ? reached.value : [];
    for (const value of values) if (!held.some((member) => equalValues(member, value)) && !added.some((member) => equalValues(member, value))) added.push(value);
    // a missing field is created, even empty (`$each: []`), as $push creates it
    if (added.length > 0 || !reached.found) pushed[path] = { $each: added };
  }
  return {
    ...others,
    ...(Object.keys(kept).length > 0 ? { $addToSet: kept } : {}),
    ...(Object.keys(pushed).length > 0 ? { $push: { ...(isPlainObject(others.$push) ? others.$push : {}), ...pushed } } : {}),
  };
}

/** The `$push` modifiers that reshape the array after the values are added. */
const PUSH_MODIFIERS = ['$sort', '$slice', '$position'];

/**
 * mingo's updater applies `$push`'s `$sort`, `$slice` and `$position` to an array that is there,
 * but makes a missing field from `$each` alone; MongoDB pushes onto a new empty array, modifiers
 * and all (update/push_node.cpp, setValueForNewElement: `{$each: [3, 1, 2], $sort: 1, $slice: 2}`
 * makes `[1, 2]`). Each such field (with the objects on its way) is made empty in `doc` first.
 * Answers whether any was, which changes the document even when the push then leaves it empty.
 * Called once `checkUpdate` took the update.
 */
export function makePushedArrays(doc: Doc, modifier: Doc): boolean {
  const pushes = modifier.$push;
  if (!isPlainObject(pushes)) return false;
  let made = false;
  for (const [path, operand] of Object.entries(pushes)) {
    const segments = path.split('.');
    if (positional(segments) || !isPlainObject(operand) || !Object.hasOwn(operand, '$each') || !PUSH_MODIFIERS.some((name) => Object.hasOwn(operand, name))) continue;
    const reached = reach(doc, segments);
    if (reached.found || !reached.viable || !isPlainObject(reached.container)) continue;
    let container: Record<string, unknown> = reached.container;
    for (const segment of segments.slice(reached.at, -1)) {
      const next: Record<string, unknown> = {};
      setField(container, segment, next);
      container = next;
    }
    setField(container, segments[segments.length - 1], []);
    made = true;
  }
  return made;
}
