// @ts-check
// What a cloud function's bundle (cloudfunctions/<fn>/index.js, written by scripts/build.js) needs
// from its deploy: the WeChat cloud calls it makes, each of which its config.json must list in
// `permissions.openapi` (Platform sources §B.1: a call not listed answers -604101), and the
// packages it requires at run time, which its package.json must list (the cloud installs only
// those), and the collections it names, which database/collections.json must create. Read from the
// bundle's syntax tree (TypeScript's parser), so that words in strings and comments count for
// nothing; the bundle, not the sources, because it is exactly what is uploaded.
const { builtinModules } = require('node:module');
const ts = require('typescript');

/**
 * @typedef {object} BundleUse
 * @property {string[]} cloudCalls permission names (`<namespace>.<method>`) of the calls it makes, sorted, each once
 * @property {string[]} unreadable where it reaches `openapi` other than as `….openapi.<namespace>.<method>(…)`
 *   (a computed name, an alias, a destructuring), as `line N: <code>`: a call the check cannot name
 * @property {string[]} packages the packages it requires by name, not Node's own, sorted, each once
 * @property {string[]} collections the database collections it names, sorted, each once: in
 *   `<anything>.collection('<name>')` and in a pipeline's `{ collection: '<name>' }`
 */

/** @param {string} specifier @returns {string} the package of a module path (`ajv/dist/x` → `ajv`, `@a/b/c` → `@a/b`) */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** @param {string} specifier */
const isBuiltin = (specifier) => specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]);

/**
 * The cloud calls and packages of a bundle.
 *
 * A cloud call is `<anything>.openapi.<namespace>.<method>(…)` (wx-server-sdk's `cloud.openapi`,
 * §B.1), or `<anything>.getOpenData({ … })`: wx-server-sdk's `cloud.getOpenData({ list })`, which
 * exchanges cloudIDs (§C.4) and is counted as `cloudbase.getOpenData`, the permission of the same
 * exchange as an openapi call (§B.1, §C.4). A `getOpenData` called with anything but an object
 * literal is Rukou's own pass-through to it (server/track-store.ts), not a call to WeChat.
 *
 * @param {string} code the bundle's JavaScript
 * @returns {BundleUse}
 * @example
 * scanBundle('exports.main = async () => cloud.openapi.subscribeMessage.send({ touser })')
 * // → { cloudCalls: ['subscribeMessage.send'], unreadable: [], packages: [] }
 */
function scanBundle(code) {
  const source = ts.createSourceFile('index.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  /** @type {Set<string>} */
  const cloudCalls = new Set();
  /** @type {string[]} */
  const unreadable = [];
  /** @type {Set<string>} */
  const packages = new Set();
  /** @type {Set<string>} */
  const collections = new Set();
  /**
   * @param {ts.Node | undefined} outer
   * @param {ts.Node} inner
   * @returns {outer is ts.PropertyAccessExpression} whether outer is `<inner>.<name>`
   */
  const accessOf = (outer, inner) => outer !== undefined && ts.isPropertyAccessExpression(outer) && outer.expression === inner;

  /** @param {ts.Identifier} name an `openapi`: counted when it is the `openapi` of `….openapi.<namespace>.<method>(…)` */
  const readOpenapi = (name) => {
    const access = name.parent;
    const namespace = access.parent;
    const method = namespace?.parent;
    const call = method?.parent;
    if (ts.isPropertyAccessExpression(access) && access.name === name && accessOf(namespace, access) && accessOf(method, namespace) && call && ts.isCallExpression(call) && call.expression === method) {
      cloudCalls.add(`${namespace.name.text}.${method.name.text}`);
    } else {
      const line = source.getLineAndCharacterOfPosition(name.getStart()).line + 1;
      unreadable.push(`line ${line}: ${(namespace ?? access).getText().slice(0, 80)}`);
    }
  };

  /** @param {ts.Node} node */
  const visit = (node) => {
    if (ts.isIdentifier(node) && node.text === 'openapi') readOpenapi(node);
    if (ts.isCallExpression(node)) {
      const [first] = node.arguments;
      if (ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'getOpenData' && first && ts.isObjectLiteralExpression(first)) {
        cloudCalls.add('cloudbase.getOpenData');
      }
      if (ts.isIdentifier(node.expression) && node.expression.text === 'require' && first && ts.isStringLiteral(first) && !isBuiltin(first.text)) {
        packages.add(packageOf(first.text));
      }
      if (ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'collection' && first && ts.isStringLiteral(first)) collections.add(first.text);
    }
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'collection' && ts.isStringLiteral(node.initializer)) collections.add(node.initializer.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { cloudCalls: [...cloudCalls].sort(), unreadable, packages: [...packages].sort(), collections: [...collections].sort() };
}

module.exports = { scanBundle };
