import { EJSON } from 'bson';
import fc from 'fast-check';
import { decode, encode } from '../../../emulator/database/ejson';

/** Values a stored document may hold: what the SDK serialises, minus the geo shapes. */
const value = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.date({ min: new Date(-2e12), max: new Date(4e12), noInvalidDate: true }),
  ),
  node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 4 }), fc.dictionary(fc.string().filter((k) => !k.startsWith('$') && !k.includes('.')), tie('node'), { maxKeys: 4 })),
}));

describe('the database codec agrees with bson', () => {
  it('decodes the canonical EJSON the SDK sends into the values bson would give', () => {
    fc.assert(
      fc.property(value.node, (v) => {
        const text = EJSON.stringify({ v }, { relaxed: false });
        expect(decode(text)).toEqual(EJSON.parse(text, { relaxed: true }));
      }),
    );
  });

  it('encodes values that the SDK (bson EJSON.parse) reads back as it reads bson\'s own encoding', () => {
    fc.assert(
      fc.property(value.node, (v) => {
        // bson's relaxed EJSON, not the value itself: it writes -0 as 0 at any depth, as JSON does
        expect(EJSON.parse(encode({ v }))).toEqual(EJSON.parse(EJSON.stringify({ v }, { relaxed: true })));
      }),
    );
  });

  it('reads its own log encoding back', () => {
    fc.assert(fc.property(value.node, (v) => expect(decode(encode({ v }))).toEqual(EJSON.parse(encode({ v })))));
  });

  it('turns db.RegExp and serverDate into what mingo matches with', () => {
    const now = Date.UTC(2024, 0, 1);
    const decoded = decode('{"r":{"$regularExpression":{"pattern":"^a","options":"ix"}},"s":{"$tcb_server_date":{"offset":{"$numberInt":"1000"}}}}', now) as { r: RegExp; s: Date };
    expect(decoded.r).toEqual(/^a/i);
    expect(decoded.s).toEqual(new Date(now + 1000));
    expect(decode(encode({ r: /x.y/ms }))).toEqual({ r: /x.y/ms });
  });
});
