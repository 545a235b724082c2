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

  it.each([
    ['a $date that is no date', '{"a":{"$date":"garbage"}}'],
    ['a $date past what a Date holds', '{"a":{"$date":{"$numberLong":"9000000000000000"}}}'],
    ['a $date of NaN', '{"a":{"$date":{"$numberLong":"NaN"}}}'],
    ['a $date that is a bare number', '{"a":{"$date":5}}'],
    ['a $numberInt that is no number', '{"a":{"$numberInt":"abc"}}'],
    ['a $numberInt past 32 bits', '{"a":{"$numberInt":"3000000000"}}'],
    ['a $numberLong past 64 bits', '{"a":{"$numberLong":"99999999999999999999"}}'],
    ['a $numberLong in exponent form', '{"a":{"$numberLong":"1e30"}}'],
    ['a $numberDouble that is an object', '{"a":{"$numberDouble":{}}}'],
    ['a $regularExpression of null', '{"a":{"$regularExpression":null}}'],
    ['a $regularExpression that does not compile', '{"a":{"$regularExpression":{"pattern":"(","options":""}}}'],
    ['a $regularExpression with an option BSON has not', '{"a":{"$regularExpression":{"pattern":"a","options":"q"}}}'],
    ['a serverDate offset of NaN', '{"a":{"$tcb_server_date":{"offset":{"$numberDouble":"NaN"}}}}'],
    ['a serverDate offset that is text', '{"a":{"$tcb_server_date":{"offset":"soon"}}}'],
    ['a serverDate of null', '{"a":{"$tcb_server_date":null}}'],
    ['an $oid that is no ObjectId', '{"a":{"$oid":"zz"}}'],
  ])('refuses %s in a request, as INVALID_PARAM: it was stored as a value the SDK cannot read back, or failed as a TypeError', (_, text) => {
    expect(() => decode(text, Date.UTC(2024, 0, 1))).toThrow(expect.objectContaining({ code: 'INVALID_PARAM', message: expect.stringContaining(' is not ') }));
  });

  it('decodes equal strings and Dates into one shared object each, which stored documents never change', () => {
    const text = (openid: string) => `{"openid": "${openid}", "day": "2024-05-20", "at": {"$date": {"$numberLong": "1716186139286"}}, "serverAt": {"$date": {"$numberLong": "1716186139286"}}}`;
    const [a, b] = [decode(text('o-1')), decode(text('o-2'))] as { openid: string; at: Date; serverAt: Date }[];
    expect(a.at).toBe(b.serverAt);
    expect(a.at).toEqual(new Date(1716186139286));
    expect(decode('{"$date": "2024-05-20T00:00:00.000Z"}')).toBe(decode('{"$date": {"$numberLong": "1716163200000"}}'));
    expect(b.openid).toBe('o-2');
  });

  it('takes every wrapper the SDK writes, at the edges of its range', () => {
    const now = Date.UTC(2024, 0, 1);
    const text = '{"i":{"$numberInt":"-2147483648"},"l":{"$numberLong":"-9223372036854775808"},"d":{"$numberDouble":"-0.0"},"n":{"$numberDouble":"NaN"},"x":{"$numberDouble":"-Infinity"},"t":{"$date":{"$numberLong":"8640000000000000"}},"s":{"$date":"1970-01-01T00:00:00Z"},"r":{"$regularExpression":{"pattern":"^a","options":"ilmsux"}},"o":{"$tcb_server_date":{}}}';
    expect(decode(text, now)).toEqual({ i: -2147483648, l: -9223372036854775808, d: -0, n: NaN, x: -Infinity, t: new Date(8.64e15), s: new Date(0), r: /^a/imsu, o: new Date(now) });
  });
});
