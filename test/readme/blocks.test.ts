/** The README test's reading of blocks and of shown output (test/readme/blocks.ts). */
import { outputMatches, readmeBlocks, stepsOf } from './blocks';

const fence = '```';

describe('readmeBlocks', () => {
  test('reads markers, languages, indented blocks and their lines', () => {
    const { blocks, problems } = readmeBlocks(
      [
        '<!-- readme-test: run -->',
        `${fence}sh`,
        'npx rukou clock',
        fence,
        '1. a step:',
        '   <!-- readme-test: skip: needs credentials -->',
        `   ${fence}sh`,
        '   npm run deploy',
        `   ${fence}`,
        '<!-- readme-test: output -->',
        fence,
        '[rukou] emulator listening on http://127.0.0.1:8787',
        fence,
        `${fence}ts`,
        'const x = 1;',
        fence,
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(blocks).toEqual([
      { line: 2, lang: 'sh', lines: ['npx rukou clock'], marker: { kind: 'run' } },
      { line: 7, lang: 'sh', lines: ['npm run deploy'], marker: { kind: 'skip', reason: 'needs credentials' } },
      { line: 11, lang: '', lines: ['[rukou] emulator listening on http://127.0.0.1:8787'], marker: { kind: 'output' } },
      { line: 14, lang: 'ts', lines: ['const x = 1;'] },
    ]);
  });

  test.each([
    [[`${fence}sh`, 'npm test', fence], 'line 1: a ```sh block without a readme-test marker'],
    [[`${fence}console`, '$ npx rukou clock', fence], 'line 1: a ```console block without a readme-test marker'],
    [['<!-- readme-test: run -->', 'some text', `${fence}sh`, 'npm test', fence], 'line 1: a readme-test marker with no block after it'],
    [['<!-- readme-test: run -->'], 'line 1: a readme-test marker with no block after it'],
    [['<!-- readme-test: skip -->', `${fence}sh`, 'npm test', fence], 'line 1: unknown marker "skip"'],
    [['<!-- readme-test: maybe -->', `${fence}sh`, 'npm test', fence], 'line 1: unknown marker "maybe"'],
    [['<!-- readme-test: run -->', `${fence}ts`, 'f();', fence], 'line 2: run marks a shell block'],
    [['<!-- readme-test: output -->', `${fence}sh`, 'npm test', fence], 'line 2: output marks a block of output'],
    [['<!-- readme-test: server -->', `${fence}sh`, 'npm start', 'npm test', fence], 'line 2: a server block holds one command'],
    [[fence, 'npx rukou clock', fence], 'line 1: a block of commands without a language'],
    [[fence, '$ npm test', fence], 'line 1: a block of commands without a language'],
  ])('%j: %s', (lines, problem) => {
    const { problems } = readmeBlocks(lines.join('\n'));
    expect(problems).toContainEqual(expect.stringContaining(problem));
  });
});

describe('stepsOf', () => {
  test('sh: one command a line, continuations joined, comments and blank lines left out', () => {
    expect(stepsOf({ line: 10, lang: 'sh', lines: ['# a comment', 'A=1   # set', '', 'npx rukou invoke admin \\', '  --openid o-1'] })).toEqual([
      { line: 12, command: 'A=1   # set' },
      { line: 14, command: 'npx rukou invoke admin   --openid o-1' },
    ]);
  });

  test('console: commands after "$ ", each with the lines shown after it', () => {
    expect(stepsOf({ line: 1, lang: 'console', lines: ['$ A=1', '$ echo $A', '1', '', '$ false', '$ echo $?', '1'] })).toEqual([
      { line: 2, command: 'A=1', shown: [] },
      { line: 3, command: 'echo $A', shown: ['1', ''] },
      { line: 6, command: 'false', shown: [] },
      { line: 7, command: 'echo $?', shown: ['1'] },
    ]);
  });

  test('console: output before any command is refused', () => {
    expect(() => stepsOf({ line: 1, lang: 'console', lines: ['1'] })).toThrow('line 2: output before any command');
  });
});

describe('outputMatches', () => {
  test.each([
    [['a', 'b'], ['a', 'b']],
    [['a', 'b'], ['a', 'b', '', '']],
    [['a  '], ['a']],
    [['"now": "…",'], ['"now": "2026-11-30T02:08:36.527Z",']],
    [['x…y…z'], ['x1y2z']],
    [['…'], []],
    [['…'], ['a', 'b']],
    [['a', '…', 'z'], ['a', 'z']],
    [['a', '  …', 'z'], ['a', 'b', 'c', 'z']],
    [['…', '"function": "rollup",', '…'], ['x', '"function": "rollup",', 'y']],
    [['a.b(c)'], ['a.b(c)']],
  ])('%j matches %j', (shown, printed) => {
    expect(outputMatches(shown, printed)).toBe(true);
  });

  test.each([
    [['a', 'b'], ['a']],
    [['a'], ['a', 'b']],
    [['a'], ['A']],
    [['"entries": 1,'], ['"entries": 12,']],
    [['a.b'], ['axb']],
    [['a', '…', 'z'], ['a', 'b']],
    [['x…y'], ['x1', 'y']],
    [[], ['printed']],
  ])('%j does not match %j', (shown, printed) => {
    expect(outputMatches(shown, printed)).toBe(false);
  });
});
