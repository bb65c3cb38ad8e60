// The RE2 engine is loaded at the first compile (src/config/re2.ts), not with the settings and the redactor:
// a turn whose text holds no rule keyword, with no redactPatterns set, never loads it. Each case runs in a
// fresh Node process, where the engine is in the CommonJS cache once it was loaded.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../../src');

/** Runs `steps` (statements using `redact`, `patternProblem` and `engineLoaded()`) in a fresh process. */
function inFreshProcess(steps: string): unknown {
  const script = `
    import { createRequire } from 'node:module';
    import { redactPatternProblem as patternProblem } from ${JSON.stringify(join(SRC, 'config/redact-pattern.ts'))};
    import ${JSON.stringify(join(SRC, 'config/settings.ts'))};
    import { makeRedactor } from ${JSON.stringify(join(SRC, 'trace/redact.ts'))};
    const engineLoaded = () =>
      Object.keys(createRequire(import.meta.url).cache).some((path) => path.endsWith('re2js.cjs'));
    const redact = makeRedactor([]);
    ${steps}`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

describe('the RE2 engine', () => {
  it('is not loaded by a text without rule keywords, and is by the first rule a keyword compiles', () => {
    const result = inFreshProcess(`
      const plain = redact('$ echo step-1\\nstep-1\\nRan one command (t0).');
      // Prose holds short keywords ("ey" of the JWT rule in "they", "s." of Vault's), never followed by
      // what a match needs after them.
      const prose = redact('They ran ten commands. The task is done.');
      const before = engineLoaded();
      // "ey" before 17 letters or digits, as a JWT starts: the JWT rule is compiled to search around it.
      const keyword = redact('see keyboardShortcutsConfiguration');
      console.log(JSON.stringify([plain, prose, before, keyword, engineLoaded()]));`);
    expect(result).toEqual([
      '$ echo step-1\nstep-1\nRan one command (t0).',
      'They ran ten commands. The task is done.',
      false,
      'see keyboardShortcutsConfiguration',
      true,
    ]);
  });

  it('is loaded to check a redact pattern, which it then compiles', () => {
    const result = inFreshProcess(`
      const before = engineLoaded();
      console.log(JSON.stringify([before, patternProblem('ACME-[0-9]{6}'), patternProblem('(?=a)b') !== null, engineLoaded()]));`);
    expect(result).toEqual([false, null, true, true]);
  });
});
