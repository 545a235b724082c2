import fc from 'fast-check';
import { ValidationError } from '../../shared/errors';
import {
  type AnswerReport,
  ANSWERS_KEPT,
  CONSENT_ANSWERS,
  type ConsentAnswer,
  grants,
  hasQuota,
  newLedger,
  PAIRING_WINDOW_MS,
  readConsentAnswers,
  readConsentRequest,
  recordAnswer,
  recordRefusal,
  recordSettingsReject,
  returnSend,
  type SubscriptionLedger,
  takeSend,
} from '../../shared/subscriptions';

const T = Date.parse('2024-05-01T02:00:00Z');
const at = (seconds: number): Date => new Date(T + seconds * 1000);
const client = (answer: ConsentAnswer, seconds: number): AnswerReport => ({ answer, at: at(seconds), source: 'client' as const });
const push = (answer: ConsentAnswer, seconds: number, id = `evt:${seconds}:${answer}`): AnswerReport => ({ answer, at: at(seconds), source: 'popup-push' as const, id });
const fresh = (): SubscriptionLedger => newLedger('o-ann', 'T1');
const apply = (ledger: SubscriptionLedger, ...steps: ((l: SubscriptionLedger) => SubscriptionLedger)[]): SubscriptionLedger => steps.reduce((l, step) => step(l), ledger);

describe('one pop-up answered once grants one send, however it is told', () => {
  it('the client alone, the push alone', () => {
    expect(recordAnswer(fresh(), client('accept', 0)).quota).toBe(1);
    expect(recordAnswer(fresh(), push('accept', 0)).quota).toBe(1);
  });

  it('the client then the push, or the push then the client, within 60 s', () => {
    const clientFirst = apply(fresh(), (l) => recordAnswer(l, client('accept', 0)), (l) => recordAnswer(l, push('accept', 3)));
    const pushFirst = apply(fresh(), (l) => recordAnswer(l, push('accept', 0)), (l) => recordAnswer(l, client('accept', 60)));
    for (const ledger of [clientFirst, pushFirst]) {
      expect(ledger.quota).toBe(1);
      expect(ledger.answers.map((record) => record.paired)).toEqual([true, true]);
    }
  });

  it('acceptWithAudio pairs with WeChat\'s accept, and the ledger keeps the client\'s words at the pop-up\'s first time', () => {
    const ledger = apply(fresh(), (l) => recordAnswer(l, push('accept', 5)), (l) => recordAnswer(l, client('acceptWithAudio', 2)));
    expect(ledger).toMatchObject({ quota: 1, lastAnswer: 'acceptWithAudio', lastAnswerAt: at(2) });
  });

  it('a report and a push more than 60 s apart are two pop-ups', () => {
    expect(apply(fresh(), (l) => recordAnswer(l, client('accept', 0)), (l) => recordAnswer(l, push('accept', 61))).quota).toBe(2);
    expect(PAIRING_WINDOW_MS).toBe(60_000);
  });

  it('two reports from the same side never pair: two pop-ups in a minute grant two', () => {
    expect(apply(fresh(), (l) => recordAnswer(l, client('accept', 0)), (l) => recordAnswer(l, client('accept', 10))).quota).toBe(2);
  });

  it('a push delivered again (the same id) changes nothing', () => {
    const once = recordAnswer(fresh(), push('accept', 0, 'evt:a'));
    expect(recordAnswer(once, push('accept', 0, 'evt:a'))).toBe(once);
    expect(recordAnswer(once, push('accept', 1, 'evt:b')).quota).toBe(2);
  });

  it('two pop-ups within a minute or so that arrive crosswise may count one send too many (documented; the next 43101 corrects it)', () => {
    const crosswise = [push('accept', 50), client('accept', 100), client('accept', 0), push('accept', 110)].reduce(recordAnswer, fresh());
    expect(crosswise.quota).toBe(3);
    expect(recordRefusal(takeSend(crosswise), at(200), 2).quota).toBe(0);
  });

  it('a grant and a refusal of the same minute do not pair', () => {
    const ledger = apply(fresh(), (l) => recordAnswer(l, client('reject', 0)), (l) => recordAnswer(l, push('accept', 2)));
    expect(ledger.quota).toBe(1);
    expect(ledger.answers.every((record) => !record.paired)).toBe(true);
  });
});

describe('reject, ban and filter are recorded, granting nothing and taking nothing', () => {
  it.each(['reject', 'ban', 'filter'] as const)('%s', (answer) => {
    const ledger = apply(fresh(), (l) => recordAnswer(l, client('accept', 0)), (l) => recordAnswer(l, client(answer, 300)), (l) => recordAnswer(l, push('reject', 303)));
    expect(ledger).toMatchObject({ quota: 1, lastAnswer: answer, lastAnswerAt: at(300) });
    expect(ledger.answers.map((record) => [record.answer, record.source, record.paired])).toEqual([
      ['accept', 'client', false],
      [answer, 'client', true],
      ['reject', 'popup-push', true],
    ]);
  });
});

describe('what empties the ledger', () => {
  const granted = apply(fresh(), (l) => recordAnswer(l, client('accept', 0)), (l) => recordAnswer(l, client('accept', 100)));

  it('a send takes one; with none left a send is a mistake of the caller', () => {
    const once = takeSend(granted);
    expect([granted.quota, once.quota, takeSend(once).quota]).toEqual([2, 1, 0]);
    expect(hasQuota(takeSend(once))).toBe(false);
    expect(() => takeSend(fresh())).toThrow(RangeError);
  });

  it('a settings reject leaves nothing and is the latest answer; delivered again, it changes nothing', () => {
    const rejected = recordSettingsReject(granted, at(200), 'evt:change');
    expect(rejected).toMatchObject({ quota: 0, lastAnswer: 'reject', lastAnswerAt: at(200), clearedAt: at(200) });
    expect(rejected.answers.at(-1)).toEqual({ answer: 'reject', at: at(200), source: 'change-push', id: 'evt:change', paired: false });
    expect(recordSettingsReject(rejected, at(200), 'evt:change')).toBe(rejected);
  });

  it('43101 leaves nothing of what was counted when the send was taken', () => {
    expect(recordRefusal(takeSend(granted), at(200), 1)).toMatchObject({ quota: 0, clearedAt: at(200) });
  });

  it('a pop-up accepted while the refused send was out is kept, less the sends taken meanwhile', () => {
    const taken = takeSend(recordAnswer(fresh(), client('accept', 0)));
    const acceptedMeanwhile = recordAnswer(taken, push('accept', 100));
    expect(recordRefusal(acceptedMeanwhile, at(101), 0).quota).toBe(1);
    expect(recordRefusal(takeSend(acceptedMeanwhile), at(101), 0).quota).toBe(0);
    // counted two, WeChat held none: a send out and another taken after it leave none
    expect(recordRefusal(takeSend(takeSend(apply(granted))), at(200), 1).quota).toBe(0);
  });

  it('an accept from before the clearing, arriving late, grants nothing; one after it, or told in its second, grants', () => {
    const cleared = recordRefusal(fresh(), at(200.5), 0);
    expect(recordAnswer(cleared, push('accept', 150)).quota).toBe(0);
    expect(recordAnswer(cleared, push('accept', 200)).quota).toBe(1);
    expect(recordAnswer(cleared, push('accept', 250)).quota).toBe(1);
  });

  it('the other half of a pop-up arriving after a 43101 does not bring the send back', () => {
    const ledger = apply(fresh(), (l) => recordAnswer(l, client('accept', 0)), (l) => recordRefusal(takeSend(l), at(5), 0), (l) => recordAnswer(l, push('accept', 1)));
    expect(ledger.quota).toBe(0);
  });

  it('a real pop-up whose push paired with a report WeChat never backed grants once a 43101 says so, whichever arrives first (a break-it pass: it was lost)', () => {
    // a report with no pop-up behind it, a send taken from it at 1.1 s, a real pop-up at 1.2 s
    const reported = recordAnswer(fresh(), client('accept', 0));
    const taken = takeSend(reported);
    const pushedFirst = recordRefusal(recordAnswer(taken, push('accept', 1.2, 'evt:real')), at(1.1), 0);
    expect(pushedFirst.quota).toBe(1);
    expect(pushedFirst.answers.map((record) => [record.source, record.paired])).toEqual([
      ['client', true],
      ['popup-push', false],
    ]);
    // the push after the refusal pairs with no report from before it
    expect(recordAnswer(recordRefusal(taken, at(1.1), 0), push('accept', 1.2, 'evt:real')).quota).toBe(1);
    // the real pop-up's own report, later, pairs with its push: still one
    expect(recordAnswer(pushedFirst, client('accept', 2)).quota).toBe(1);
  });

  it('a report WeChat never backed, refused in its own second, does not take the next pop-up\'s push for its other half (a break-it pass: it was lost)', () => {
    const refused = recordRefusal(takeSend(recordAnswer(fresh(), client('accept', 0))), at(0.3), 0);
    expect(recordAnswer(refused, push('accept', 5, 'evt:next')).quota).toBe(1);
    // a report, to the millisecond, from before the refusal grants nothing; one after it grants
    expect(recordAnswer(refused, client('accept', 0.2)).quota).toBe(0);
    expect(recordAnswer(refused, client('accept', 0.4)).quota).toBe(1);
  });

  it('a push of a settings reject\'s own second may be later than it, and grants (a count one too high costs one more 43101)', () => {
    const rejected = recordSettingsReject(recordAnswer(fresh(), client('accept', 0)), at(100), 'evt:off');
    expect(recordAnswer(rejected, push('accept', 100, 'evt:on')).quota).toBe(1);
    expect(recordAnswer(rejected, push('accept', 99, 'evt:before')).quota).toBe(0);
  });

  it('a send WeChat did not use is given back, unless WeChat said since that none is left', () => {
    const taken = takeSend(granted);
    expect(returnSend(taken, at(200)).quota).toBe(2);
    expect(returnSend(recordSettingsReject(taken, at(201)), at(200)).quota).toBe(0);
    expect(returnSend(recordSettingsReject(taken, at(199)), at(200)).quota).toBe(1);
  });
});

describe('the ledger stays bounded and never changes the one given', () => {
  it('keeps the latest answers by time', () => {
    let ledger = fresh();
    for (let i = 0; i < ANSWERS_KEPT + 5; i += 1) ledger = recordAnswer(ledger, client('accept', i * 120));
    expect(ledger.quota).toBe(ANSWERS_KEPT + 5);
    expect(ledger.answers).toHaveLength(ANSWERS_KEPT);
    expect(ledger.answers[0].at).toEqual(at(5 * 120));
  });

  it('is pure', () => {
    const ledger = recordAnswer(fresh(), client('accept', 0));
    const copy = structuredClone(ledger);
    recordAnswer(ledger, push('accept', 1));
    takeSend(ledger);
    recordSettingsReject(ledger, at(2));
    recordRefusal(ledger, at(3), 0);
    returnSend(ledger, at(4));
    expect(ledger).toEqual(copy);
  });
});

describe('for any pop-ups, told in any order', () => {
  /** Pop-ups 2 minutes or more apart, each told by the client, by WeChat or by both, within a minute of it. */
  const popups = fc.array(
    fc.record({ answer: fc.constantFrom(...CONSENT_ANSWERS), told: fc.constantFrom('client', 'push', 'both'), clientDelay: fc.integer({ min: 0, max: 30 }), pushDelay: fc.integer({ min: 0, max: 30 }), gap: fc.integer({ min: 121, max: 3600 }) }),
    { minLength: 1, maxLength: 8 },
  );
  type Popup = { answer: ConsentAnswer; told: string; clientDelay: number; pushDelay: number; gap: number };
  const reports = (list: Popup[]): AnswerReport[] => {
    let start = 0;
    return list.flatMap((popup, index) => {
      start += popup.gap;
      const pushed: ConsentAnswer = grants(popup.answer) ? 'accept' : 'reject';
      return [
        ...(popup.told !== 'push' ? [client(popup.answer, start + popup.clientDelay)] : []),
        ...(popup.told !== 'client' ? [push(pushed, start + popup.pushDelay, `evt:${index}`)] : []),
      ];
    });
  };

  it('grants one send per accepted pop-up and pairs every report with its push, delivered twice or not', () => {
    fc.assert(
      fc.property(popups.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(reports(list), { minLength: reports(list).length }), fc.boolean())), ([list, arrivals, twice]) => {
        const deliveries = twice ? arrivals.flatMap((report) => (report.source === 'popup-push' ? [report, report] : [report])) : arrivals;
        const ledger = deliveries.reduce(recordAnswer, fresh());
        expect(ledger.quota).toBe(list.filter((popup) => grants(popup.answer)).length);
        expect(ledger.answers.filter((record) => record.paired)).toHaveLength(2 * list.filter((popup) => popup.told === 'both').length);
      }),
    );
  });

  it('the last answer is the latest pop-up\'s, in the client\'s words when the client told it', () => {
    fc.assert(
      fc.property(popups.chain((list) => fc.tuple(fc.constant(list), fc.shuffledSubarray(reports(list), { minLength: reports(list).length }))), ([list, arrivals]) => {
        const ledger = arrivals.reduce(recordAnswer, fresh());
        const latest = list[list.length - 1];
        expect(ledger.lastAnswer).toBe(latest.told === 'push' ? (grants(latest.answer) ? 'accept' : 'reject') : latest.answer);
      }),
    );
  });

  it('the quota is never negative and the answers never more than kept, whatever happens', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('answer' as const), answer: fc.constantFrom(...CONSENT_ANSWERS), source: fc.constantFrom('client' as const, 'popup-push' as const), seconds: fc.integer({ min: 0, max: 3600 }) }),
      fc.record({ kind: fc.constantFrom('send' as const, 'refused' as const, 'returned' as const, 'settings' as const), seconds: fc.integer({ min: 0, max: 3600 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let ledger = fresh();
        for (const s of steps) {
          const previous = ledger;
          if (s.kind === 'answer') ledger = recordAnswer(ledger, { answer: s.answer, at: at(s.seconds), source: s.source });
          if (s.kind === 'send' && hasQuota(ledger)) ledger = takeSend(ledger);
          if (s.kind === 'refused' && hasQuota(ledger)) ledger = recordRefusal(takeSend(ledger), at(s.seconds), ledger.quota - 1);
          if (s.kind === 'returned' && hasQuota(ledger)) ledger = returnSend(takeSend(ledger), at(s.seconds));
          if (s.kind === 'settings') ledger = recordSettingsReject(ledger, at(s.seconds));
          expect(ledger.quota).toBeGreaterThanOrEqual(0);
          // one answer grants at most one; a refusal may give back the pop-ups whose pushes its void reports had taken
          const pushes = previous.answers.filter((record) => record.source === 'popup-push' && record.paired).length;
          expect(ledger.quota - previous.quota).toBeLessThanOrEqual(s.kind === 'refused' ? pushes : 1);
          expect(ledger.answers.length).toBeLessThanOrEqual(ANSWERS_KEPT);
        }
      }),
    );
  });
});

test('consent takes its answers and nothing else', () => {
  expect(readConsentRequest({ action: 'consent', answers: { T1: 'accept' } })).toEqual([['T1', 'accept']]);
  expect(() => readConsentRequest({ action: 'consent', answers: { T1: 'accept' }, openid: 'o-someone-else' })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT', field: 'openid' }));
});

describe('readConsentAnswers reads what wx.requestSubscribeMessage resolved with', () => {
  const refusal = (input: unknown) => {
    try {
      readConsentAnswers(input);
      return undefined;
    } catch (error) {
      if (error instanceof ValidationError) return error.toJSON();
      throw error;
    }
  };

  it('each template\'s answer, errMsg ignored', () => {
    expect(readConsentAnswers({ errMsg: 'requestSubscribeMessage:ok', 'T1-x_Y': 'accept', T2: 'acceptWithAudio', T3: 'reject', T4: 'ban', T5: 'filter' })).toEqual([
      ['T1-x_Y', 'accept'],
      ['T2', 'acceptWithAudio'],
      ['T3', 'reject'],
      ['T4', 'ban'],
      ['T5', 'filter'],
    ]);
  });

  it('refuses what is not such an object, naming the field', () => {
    expect(refusal(null)?.field).toBe('answers');
    expect(refusal(['accept'])?.field).toBe('answers');
    expect(refusal({ errMsg: 'requestSubscribeMessage:ok' })?.field).toBe('answers');
    expect(refusal({ T1: 'accept', T2: 'accept', T3: 'accept', T4: 'accept', T5: 'accept', T6: 'accept' })).toEqual({ code: 'INVALID_INPUT', field: 'answers', message: 'answers names 6 templates; one pop-up asks at most 5.' });
    expect(refusal({ 'T 1': 'accept' })?.field).toBe('answers');
    expect(refusal({ T1: 'yes' })).toEqual({ code: 'INVALID_INPUT', field: 'answers.T1', message: 'answers.T1 must be one of accept, acceptWithAudio, reject, ban, filter.' });
    expect(refusal({ T1: 'accept', T2: 10004 })?.field).toBe('answers.T2');
  });

  it('for any object throws only ValidationError', () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.constantFrom(...CONSENT_ANSWERS, 'x'), { maxKeys: 7 })), (input) => void refusal(input)));
  });
});
