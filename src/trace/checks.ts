// Which of the agent's commands were checks (tests, builds, type checks, lints, format checks), how each
// ended, and the counts its output printed. ONE table (CHECK_TABLE) says which commands are checks; one
// list (SUMMARIES) says how test counts are printed; one list (COVERAGE) how coverage totals are. To teach
// the connector a new tool, add a row; docs/traced-events.md lists what is recognised. Pure: command text
// and output in, facts out.

import type { CheckKind } from '../infinium/task-data';

export type { CheckKind };

export interface CheckRule {
  /** The tool as docs/traced-events.md and a metadata-mode trace name it. */
  tool: string;
  /** Matched against one simple command, once wrappers (env assignments, npx, `python -m`, ...) are gone. */
  pattern: RegExp;
  /** What it checks; a function when the command's words decide (a script or make target name). */
  kind: CheckKind | ((match: RegExpExecArray) => CheckKind | undefined);
  /** The test framework it names, for development.framework_used. */
  framework?: string;
}

/** What a package-manager script or make target is, by its name (`test:unit`, `lint:fix`, `typecheck`). */
export function scriptKind(name: string): CheckKind | undefined {
  const base = name.toLowerCase();
  if (/^(test|tests|t|spec|e2e|unit|integration|coverage|cov|check:test)(?:[:.-].*)?$|[:.-]test$/.test(base))
    return 'test';
  if (/^(typecheck|type-check|types|check-types|tsc|typecheck:.*|types:.*)$/.test(base)) return 'typecheck';
  if (/^(lint|eslint|biome|check|verify|clippy)(?:[:.-].*)?$/.test(base)) return 'lint';
  if (/^(format|fmt|prettier)(?:[:.-].*)?$/.test(base)) return 'format';
  if (/^(build|compile|dist|bundle|all)(?:[:.-].*)?$/.test(base)) return 'build';
  return undefined;
}

/** A make target: `make` alone builds the default target. */
function makeKind(target: string | undefined): CheckKind | undefined {
  return target === undefined ? 'build' : scriptKind(target);
}

const kindOfGroup =
  (group: number, fallback?: CheckKind) =>
  (match: RegExpExecArray): CheckKind | undefined => {
    const word = match[group];
    return word === undefined ? fallback : scriptKind(word);
  };

/** A word that is not an option: `--filter x` style options before a script name are skipped. */
const SCRIPT = String.raw`(?:\s+(?:--filter\s+\S+|-F\s+\S+|workspace\s+\S+|-{1,2}[\w-]+(?:=\S+)?))*\s+(?:run(?:-script)?\s+)?([\w:.-]+)`;

export const CHECK_TABLE: readonly CheckRule[] = [
  // JavaScript and TypeScript
  { tool: 'npm test', pattern: /^npm\s+(?:t|test|tst)\b/, kind: 'test' },
  { tool: 'bun test', pattern: /^bun\s+test\b/, kind: 'test', framework: 'bun test' },
  { tool: 'deno test', pattern: /^deno\s+test\b/, kind: 'test', framework: 'deno test' },
  { tool: 'deno lint', pattern: /^deno\s+lint\b/, kind: 'lint' },
  { tool: 'deno fmt', pattern: /^deno\s+fmt\b/, kind: 'format' },
  { tool: 'deno check', pattern: /^deno\s+check\b/, kind: 'typecheck' },
  {
    tool: 'npm/pnpm/yarn/bun script',
    pattern: new RegExp(`^(?:npm|pnpm|yarn|bun)${SCRIPT}`),
    kind: kindOfGroup(1),
  },
  { tool: 'vitest', pattern: /^vitest\b/, kind: 'test', framework: 'vitest' },
  { tool: 'jest', pattern: /^jest\b/, kind: 'test', framework: 'jest' },
  { tool: 'mocha', pattern: /^mocha\b/, kind: 'test', framework: 'mocha' },
  { tool: 'ava', pattern: /^ava\b/, kind: 'test', framework: 'ava' },
  { tool: 'playwright test', pattern: /^playwright\s+test\b/, kind: 'test', framework: 'playwright' },
  { tool: 'cypress run', pattern: /^cypress\s+run\b/, kind: 'test', framework: 'cypress' },
  { tool: 'node --test', pattern: /^node\s+(?:\S+\s+)*--test\b/, kind: 'test', framework: 'node:test' },
  {
    tool: 'tsc',
    pattern: /^(?:tsc|vue-tsc|tsgo)\b/,
    kind: (match) =>
      /--watch|\s-w\b/.test(match.input)
        ? undefined
        : /\s(?:-b|--build)\b/.test(match.input) || !/--noEmit/.test(match.input)
          ? 'build'
          : 'typecheck',
  },
  { tool: 'eslint', pattern: /^eslint\b/, kind: 'lint' },
  { tool: 'oxlint', pattern: /^oxlint\b/, kind: 'lint' },
  { tool: 'biome format', pattern: /^biome\s+format\b/, kind: 'format' },
  { tool: 'biome lint/check/ci', pattern: /^biome\s+(?:lint|check|ci)\b/, kind: 'lint' },
  { tool: 'prettier', pattern: /^prettier\b/, kind: 'format' },
  {
    tool: 'webpack/vite/esbuild/rollup build',
    pattern: /^(?:webpack|esbuild|rollup|rolldown|tsup|vite\s+build|next\s+build|nuxt\s+build)\b/,
    kind: 'build',
  },
  // Python
  { tool: 'pytest', pattern: /^(?:pytest|py\.test)\b/, kind: 'test', framework: 'pytest' },
  { tool: 'unittest', pattern: /^unittest\b/, kind: 'test', framework: 'unittest' },
  { tool: 'tox/nox', pattern: /^(?:tox|nox)\b/, kind: 'test' },
  { tool: 'ruff check', pattern: /^ruff(?:\s+check)?\b(?!\s+format)/, kind: 'lint' },
  { tool: 'ruff format', pattern: /^ruff\s+format\b/, kind: 'format' },
  { tool: 'black/isort', pattern: /^(?:black|isort)\b/, kind: 'format' },
  { tool: 'flake8/pylint', pattern: /^(?:flake8|pylint)\b/, kind: 'lint' },
  { tool: 'mypy/pyright', pattern: /^(?:mypy|pyright|basedpyright)\b/, kind: 'typecheck' },
  // Go
  { tool: 'go test', pattern: /^go\s+test\b/, kind: 'test', framework: 'go test' },
  { tool: 'go build', pattern: /^go\s+(?:build|install)\b/, kind: 'build' },
  { tool: 'go vet', pattern: /^(?:go\s+vet|staticcheck|golangci-lint)\b/, kind: 'lint' },
  { tool: 'gofmt', pattern: /^(?:gofmt|go\s+fmt)\b/, kind: 'format' },
  // Rust
  { tool: 'cargo test', pattern: /^cargo\s+(?:test|nextest)\b/, kind: 'test', framework: 'cargo test' },
  { tool: 'cargo build', pattern: /^cargo\s+build\b/, kind: 'build' },
  { tool: 'cargo check', pattern: /^cargo\s+check\b/, kind: 'typecheck' },
  { tool: 'cargo clippy', pattern: /^cargo\s+clippy\b/, kind: 'lint' },
  { tool: 'cargo fmt', pattern: /^(?:cargo\s+fmt|rustfmt)\b/, kind: 'format' },
  // JVM
  {
    tool: 'gradle',
    pattern: /^(?:gradle|gradlew)\b(?:\s+-\S+)*(?:\s+:?(?:\S+:)*(\w+))?/,
    kind: (match) => gradleKind(match[1]),
  },
  {
    tool: 'mvn',
    pattern: /^(?:mvn|mvnw)\b(?:\s+-\S+)*(?:\s+(\S+))?/,
    kind: (match) => mavenKind(match.input),
  },
  { tool: 'javac/kotlinc', pattern: /^(?:javac|kotlinc)\b/, kind: 'build' },
  // .NET
  { tool: 'dotnet test', pattern: /^dotnet\s+test\b/, kind: 'test', framework: 'dotnet test' },
  { tool: 'dotnet build', pattern: /^dotnet\s+build\b/, kind: 'build' },
  { tool: 'dotnet format', pattern: /^dotnet\s+format\b/, kind: 'format' },
  // Ruby, PHP
  { tool: 'rspec', pattern: /^rspec\b/, kind: 'test', framework: 'rspec' },
  { tool: 'rake test', pattern: /^(?:rake|rails)\s+(?:test|spec)\b/, kind: 'test' },
  { tool: 'rubocop', pattern: /^rubocop\b/, kind: 'lint' },
  { tool: 'phpunit', pattern: /^(?:phpunit|pest)\b/, kind: 'test', framework: 'phpunit' },
  { tool: 'phpstan/psalm', pattern: /^(?:phpstan|psalm)\b/, kind: 'typecheck' },
  // C, C++, Swift, anything with a Makefile
  {
    tool: 'make',
    pattern: /^(?:make|gmake)\b(?:\s+-\S+)*(?:\s+([\w:.-]+))?/,
    kind: (match) => makeKind(match[1]),
  },
  { tool: 'cmake --build', pattern: /^(?:cmake\s+--build|ninja)\b/, kind: 'build' },
  { tool: 'ctest', pattern: /^ctest\b/, kind: 'test', framework: 'ctest' },
  { tool: 'gcc/clang', pattern: /^(?:gcc|g\+\+|cc|c\+\+|clang|clang\+\+)\b/, kind: 'build' },
  { tool: 'swift test', pattern: /^swift\s+test\b/, kind: 'test', framework: 'swift test' },
  { tool: 'swift build', pattern: /^swift\s+build\b/, kind: 'build' },
];

function gradleKind(task: string | undefined): CheckKind | undefined {
  if (task === undefined) return undefined;
  if (/^(test|check|integrationTest)$/i.test(task)) return 'test';
  if (/^(build|assemble|compile\w*|jar)$/i.test(task)) return 'build';
  if (/^(lint|ktlintCheck|detekt|spotbugs\w*)$/i.test(task)) return 'lint';
  if (/^spotless\w*$/i.test(task)) return 'format';
  return undefined;
}

/** Maven runs every phase up to the one named: the last of them says what the command checked. */
function mavenKind(command: string): CheckKind | undefined {
  const words = command.split(/\s+/);
  if (
    words.some((word) => /^(test|verify|install|deploy|integration-test)$/.test(word)) &&
    !/-DskipTests\b|-Dmaven\.test\.skip=true/.test(command)
  )
    return 'test';
  if (words.some((word) => /^(compile|package|install|deploy|test-compile|verify)$/.test(word)))
    return 'build';
  if (words.some((word) => /^(spotless:check|checkstyle:check)$/.test(word))) return 'lint';
  return undefined;
}

// Wrappers in front of the command that runs the check (`FOO=1 timeout 60 npx vitest run`).
const WRAPPERS: readonly RegExp[] = [
  /^\w+=(?:'[^']*'|"[^"]*"|\S*)\s+/,
  /^(?:env|time|nice|nohup|sudo|command|exec|stdbuf(?:\s+-\S+)*)\s+/,
  /^timeout\s+(?:-\S+\s+)*\S+\s+/,
  /^(?:npx|bunx|pnpx)\s+(?:-y\s+|--yes\s+)?/,
  /^(?:pnpm|yarn|npm)\s+(?:exec|dlx)\s+(?:--\s+)?/,
  /^(?:uv|poetry|pipenv|pdm|hatch|rye)\s+run\s+/,
  /^bundle\s+exec\s+/,
  /^python[\d.]*\s+-m\s+/,
  /^(?:\.\/|\.\.\/)*(?:node_modules\/\.bin\/|vendor\/bin\/|bin\/)/,
  /^\.\//,
  /^cargo\s+\+\S+\s+/,
  /^xvfb-run\s+(?:-\S+\s+)*/,
];

/** One simple command with its wrappers removed. */
export function coreCommand(command: string): string {
  let text = command.trim().replace(/^[({]\s*/, '');
  for (let changed = true; changed; ) {
    changed = false;
    for (const wrapper of WRAPPERS) {
      const next = text.replace(wrapper, '');
      if (next !== text) {
        text = next;
        changed = true;
      }
    }
  }
  return text;
}

/**
 * The simple commands of a shell command line, in order: split at `&&`, `||`, `;`, `|` and newlines outside
 * quotes; `bash -lc '...'` and `sh -c "..."` are opened. Redirections stay (they match nothing).
 */
export function simpleCommands(command: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < command.length; i += 1) {
    const c = command[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < command.length) {
        current += c + command[i + 1];
        i += 1;
        continue;
      }
      current += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      current += c;
    } else if (c === '\n' || c === ';' || ((c === '&' || c === '|') && command[i + 1] === c)) {
      parts.push(current);
      current = '';
      if (c !== '\n' && c !== ';') i += 1;
    } else if (c === '|' || (c === '&' && command[i - 1] !== '>' && command[i + 1] !== '>')) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts.flatMap((part) => {
    const trimmed = part.trim();
    const inner = /^(?:\/\S*\/)?(?:ba|z|da)?sh\s+(?:-\w+\s+)*-\w*c\w*\s+(['"])([\s\S]*)\1$/.exec(trimmed);
    if (inner?.[2] !== undefined) return simpleCommands(inner[2]);
    return trimmed === '' ? [] : [trimmed];
  });
}

export interface RecognisedCheck {
  kind: CheckKind;
  /** The simple command that runs it, wrappers included (`npx vitest run`). */
  command: string;
  rule: CheckRule;
}

/** The checks a shell command line runs, in order (one per simple command that is a check). */
export function recogniseChecks(command: string): RecognisedCheck[] {
  const found: RecognisedCheck[] = [];
  for (const simple of simpleCommands(command)) {
    const core = coreCommand(simple);
    for (const rule of CHECK_TABLE) {
      const match = rule.pattern.exec(core);
      if (!match) continue;
      const kind = typeof rule.kind === 'function' ? rule.kind(match) : rule.kind;
      if (kind) found.push({ kind, command: simple, rule });
      break;
    }
  }
  return found;
}

export interface TestCounts {
  passed?: number;
  failed?: number;
  skipped?: number;
  /** The framework whose summary this is. */
  framework: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal colour codes in recorded output
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

/** Output as a tool's summary parser reads it: colour codes gone, `\r` line ends made `\n`. */
export function plainOutput(output: string): string {
  return output.replace(ANSI, '').replace(/\r\n?/g, '\n');
}

const num = (text: string | undefined) => (text === undefined ? undefined : Number(text));

/** Sums every match of `pattern` (a run may print one summary per package or crate). */
function sumAll(
  text: string,
  pattern: RegExp,
  read: (match: RegExpExecArray) => Omit<TestCounts, 'framework'>,
) {
  let total: Omit<TestCounts, 'framework'> | undefined;
  for (const match of text.matchAll(pattern)) {
    const counts = read(match as RegExpExecArray);
    total ??= {};
    for (const key of ['passed', 'failed', 'skipped'] as const) {
      if (counts[key] !== undefined) total[key] = (total[key] ?? 0) + (counts[key] as number);
    }
  }
  return total;
}

/**
 * Counts from a summary line that labels each, such as `1 failed | 11 passed | 2 skipped (14)`; a label the
 * line lacks is zero (runners leave out what did not happen).
 */
function labelled(summary: string, labels: Record<'passed' | 'failed' | 'skipped', RegExp>) {
  const counts: Omit<TestCounts, 'framework'> = {};
  for (const key of ['passed', 'failed', 'skipped'] as const) {
    let total: number | undefined;
    for (const match of summary.matchAll(labels[key])) total = (total ?? 0) + Number(match[1]);
    counts[key] = total ?? 0;
  }
  return counts;
}

/** vitest's and jest's summary words (matchAll copies a global RegExp, so sharing them is safe). */
const PASSED_FAILED_SKIPPED = {
  passed: /(\d+) passed/g,
  failed: /(\d+) failed/g,
  skipped: /(\d+) (?:skipped|todo)/g,
};

interface SummaryParser {
  framework: string;
  parse(text: string): Omit<TestCounts, 'framework'> | undefined;
}

/** How test runners print their totals; the first parser that finds its summary in the output wins. */
export const SUMMARIES: readonly SummaryParser[] = [
  {
    // `      Tests  1 failed | 11 passed | 1 skipped (13)`
    framework: 'vitest',
    parse: (text) => {
      const line = /^\s*Tests\s{2,}(.*\(\d+\))\s*$/m.exec(text)?.[1];
      return line === undefined ? undefined : labelled(line, PASSED_FAILED_SKIPPED);
    },
  },
  {
    // `Tests:       1 failed, 2 skipped, 11 passed, 14 total`
    framework: 'jest',
    parse: (text) => {
      const line = /^Tests:\s+(.*\d+ total)\s*$/m.exec(text)?.[1];
      return line === undefined ? undefined : labelled(line, PASSED_FAILED_SKIPPED);
    },
  },
  {
    // `# pass 11` / `ℹ pass 11` (TAP or spec reporter)
    framework: 'node:test',
    parse: (text) => {
      const read = (label: string) => num(new RegExp(`^(?:#|ℹ) ${label} (\\d+)\\s*$`, 'm').exec(text)?.[1]);
      const passed = read('pass');
      if (passed === undefined || read('tests') === undefined) return undefined;
      return {
        passed,
        failed: (read('fail') ?? 0) + (read('cancelled') ?? 0),
        skipped: (read('skipped') ?? 0) + (read('todo') ?? 0),
      };
    },
  },
  {
    // `  11 passing (25ms)` / `  1 failing` / `  2 pending`
    framework: 'mocha',
    parse: (text) => {
      const passed = num(/^\s*(\d+) passing\b/m.exec(text)?.[1]);
      if (passed === undefined) return undefined;
      return {
        passed,
        failed: num(/^\s*(\d+) failing\b/m.exec(text)?.[1]) ?? 0,
        skipped: num(/^\s*(\d+) pending\b/m.exec(text)?.[1]) ?? 0,
      };
    },
  },
  {
    // `===== 1 failed, 11 passed, 2 skipped in 0.12s =====` (or without the rule in -q)
    framework: 'pytest',
    parse: (text) => {
      const lines = [
        ...text.matchAll(
          /^=*\s*((?:\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)(?:, )?)+) in [\d.]+s\b.*$/gm,
        ),
      ];
      const line = lines.at(-1)?.[1];
      if (line === undefined) return undefined;
      return labelled(line, {
        passed: /(\d+) (?:passed|xpassed)/g,
        failed: /(\d+) (?:failed|errors?)/g,
        skipped: /(\d+) (?:skipped|xfailed)/g,
      });
    },
  },
  {
    // `Ran 12 tests in 0.001s` then `FAILED (failures=1, errors=1, skipped=2)` or `OK (skipped=1)`
    framework: 'unittest',
    parse: (text) => {
      const ran = /^Ran (\d+) tests? in [\d.]+s\s*\n\s*\n?(OK|FAILED)(?: \(([^)]*)\))?/m.exec(text);
      if (!ran) return undefined;
      const detail = ran[3] ?? '';
      const field = (name: string) => num(new RegExp(`${name}=(\\d+)`).exec(detail)?.[1]) ?? 0;
      const failed = field('failures') + field('errors') + field('unexpected successes');
      const skipped = field('skipped') + field('expected failures');
      return { passed: Number(ran[1]) - failed - skipped, failed, skipped };
    },
  },
  {
    // `test result: FAILED. 11 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out`, one per crate
    framework: 'cargo test',
    parse: (text) =>
      sumAll(text, /^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/gm, (match) => ({
        passed: Number(match[1]),
        failed: Number(match[2]),
        skipped: Number(match[3]),
      })),
  },
  {
    // `--- PASS: TestAdd (0.00s)` per test with -v; without it only `ok`/`FAIL` per package
    framework: 'go test',
    parse: (text) => {
      if (!/^(?:ok|FAIL|---)\s/m.test(text) || !/^(?:ok\s+\S+\s|FAIL\s+\S+\s|--- (?:PASS|FAIL))/m.test(text))
        return undefined;
      const count = (what: string) => [...text.matchAll(new RegExp(`^\\s*--- ${what}: `, 'gm'))].length;
      const [passed, failed, skipped] = [count('PASS'), count('FAIL'), count('SKIP')];
      return passed + failed + skipped > 0 ? { passed, failed, skipped } : {};
    },
  },
  {
    // `12 examples, 1 failure, 2 pending`
    framework: 'rspec',
    parse: (text) => {
      const match = /^(\d+) examples?, (\d+) failures?(?:, (\d+) pending)?/m.exec(text);
      if (!match) return undefined;
      const failed = Number(match[2]);
      const skipped = num(match[3]) ?? 0;
      return { passed: Number(match[1]) - failed - skipped, failed, skipped };
    },
  },
  {
    // `OK (12 tests, 30 assertions)` / `Tests: 12, Assertions: 30, Failures: 1, Errors: 1, Skipped: 2.`
    framework: 'phpunit',
    parse: (text) => {
      const ok = /^OK \((\d+) tests?, \d+ assertions?\)/m.exec(text);
      if (ok) return { passed: Number(ok[1]), failed: 0, skipped: 0 };
      const line = /^Tests: (\d+), Assertions: \d+(.*)$/m.exec(text);
      if (!line) return undefined;
      const field = (name: string) => num(new RegExp(`${name}: (\\d+)`).exec(line[2] ?? '')?.[1]) ?? 0;
      const failed = field('Failures') + field('Errors');
      const skipped = field('Skipped') + field('Incomplete');
      return { passed: Number(line[1]) - failed - skipped, failed, skipped };
    },
  },
  {
    // Maven surefire: `Tests run: 12, Failures: 1, Errors: 0, Skipped: 2` (the last one is the total)
    framework: 'junit',
    parse: (text) => {
      const all = [
        ...text.matchAll(
          /Tests run: (\d+), Failures: (\d+), Errors: (\d+), Skipped: (\d+)(?!.*Time elapsed)/g,
        ),
      ];
      const last = all.at(-1);
      if (!last) return undefined;
      const failed = Number(last[2]) + Number(last[3]);
      const skipped = Number(last[4]);
      return { passed: Number(last[1]) - failed - skipped, failed, skipped };
    },
  },
  {
    // Gradle: `12 tests completed, 1 failed, 2 skipped`
    framework: 'junit',
    parse: (text) => {
      const match = /^(\d+) tests? completed(?:, (\d+) failed)?(?:, (\d+) skipped)?/m.exec(text);
      if (!match) return undefined;
      const failed = num(match[2]) ?? 0;
      const skipped = num(match[3]) ?? 0;
      return { passed: Number(match[1]) - failed - skipped, failed, skipped };
    },
  },
  {
    // `Failed!  - Failed:     1, Passed:    11, Skipped:     0, Total:    12, Duration: 40 ms`
    framework: 'dotnet test',
    parse: (text) =>
      sumAll(
        text,
        /^\s*(?:Passed|Failed)!\s+-\s+Failed:\s+(\d+), Passed:\s+(\d+), Skipped:\s+(\d+)/gm,
        (match) => ({
          failed: Number(match[1]),
          passed: Number(match[2]),
          skipped: Number(match[3]),
        }),
      ),
  },
  {
    // bun test: ` 11 pass` / ` 1 fail` / ` 2 skip`
    framework: 'bun test',
    parse: (text) => {
      const passed = num(/^\s*(\d+) pass\s*$/m.exec(text)?.[1]);
      const failed = num(/^\s*(\d+) fail\s*$/m.exec(text)?.[1]);
      if (passed === undefined || failed === undefined) return undefined;
      return { passed, failed, skipped: num(/^\s*(\d+) skip\s*$/m.exec(text)?.[1]) ?? 0 };
    },
  },
  {
    // `92% tests passed, 1 tests failed out of 12`
    framework: 'ctest',
    parse: (text) => {
      const match = /^\d+% tests passed, (\d+) tests? failed out of (\d+)/m.exec(text);
      if (!match) return undefined;
      return { passed: Number(match[2]) - Number(match[1]), failed: Number(match[1]) };
    },
  },
];

/** The test counts an output prints, from the first runner whose summary it holds. */
export function testCounts(output: string): TestCounts | undefined {
  const text = plainOutput(output);
  for (const parser of SUMMARIES) {
    const counts = parser.parse(text);
    if (counts) return { ...counts, framework: parser.framework };
  }
  return undefined;
}

/** How coverage tools print a total (percent); the last total printed in an output wins. */
export const COVERAGE: readonly RegExp[] = [
  // istanbul text reporter (jest, vitest, c8, nyc): `All files |   85.71 | ...` (statements)
  /^All files\s*\|\s*([\d.]+)\s*\|/gm,
  // node --test --experimental-test-coverage: `# all files  | 100.00 | ...` (lines)
  /^(?:#|ℹ) all files\s*\|\s*([\d.]+)\s*\|/gm,
  // coverage.py / pytest-cov: `TOTAL    120     18    85%`
  /^TOTAL(?:\s+\d+)+\s+([\d.]+)%\s*$/gm,
  // go test -cover: `coverage: 78.9% of statements`; go tool cover -func: `total: (statements) 78.9%`
  /coverage: ([\d.]+)% of statements/gm,
  /^total:\s+\(statements\)\s+([\d.]+)%/gm,
  // cargo tarpaulin: `85.00% coverage, 170/200 lines covered`
  /^([\d.]+)% coverage, \d+\/\d+ lines covered/gm,
  // cargo llvm-cov / grcov summary: `TOTAL ... 85.00%` handled above; coverlet: `| Total | 85.5% |`
  /^\|\s*Total\s*\|\s*([\d.]+)%/gm,
];

/** The coverage total an output prints (percent, 0..100), when a coverage tool printed one. */
export function coverageTotal(output: string): number | undefined {
  const text = plainOutput(output);
  let found: { at: number; value: number } | undefined;
  for (const pattern of COVERAGE) {
    for (const match of text.matchAll(pattern)) {
      const value = Number(match[1]);
      if (
        Number.isFinite(value) &&
        value >= 0 &&
        value <= 100 &&
        (found === undefined || (match.index ?? 0) >= found.at)
      )
        found = { at: match.index ?? 0, value };
    }
  }
  return found?.value;
}

/** A tool call as the check side needs it (src/trace/activity.ts ToolActivity has these fields). */
export interface CommandRun {
  input: string;
  output?: string;
  exitCode?: number;
  status: 'success' | 'failure' | 'incomplete';
}

export interface CheckResult {
  kind: CheckKind;
  command: string;
  /** The table row's tool name. */
  tool: string;
  exitCode?: number;
  status: 'passed' | 'failed';
  passed?: number;
  failed?: number;
  skipped?: number;
  framework?: string;
}

/**
 * The checks one shell command ran and how each ended. A test run's own summary decides when it names
 * failures (a `| tail` hides the exit code); otherwise the command's exit code does. A command that never
 * finished gives no verdict.
 */
export function checkResults(run: CommandRun): CheckResult[] {
  if (run.status === 'incomplete') return [];
  const checks = recogniseChecks(run.input);
  if (checks.length === 0) return [];
  const exitFailed = run.exitCode === undefined ? run.status === 'failure' : run.exitCode !== 0;
  return checks.map((check) => {
    const counts = check.kind === 'test' && run.output !== undefined ? testCounts(run.output) : undefined;
    // In `npm test && npm run build`, a test summary with no failure says the tests passed, whichever
    // part made the command fail.
    const ownVerdict = counts?.failed !== undefined && (counts.failed > 0 || checks.length > 1);
    const failed = ownVerdict ? (counts?.failed ?? 0) > 0 : exitFailed || (counts?.failed ?? 0) > 0;
    return {
      kind: check.kind,
      command: check.command,
      tool: check.rule.tool,
      exitCode: run.exitCode,
      status: failed ? 'failed' : 'passed',
      passed: counts?.passed,
      failed: counts?.failed,
      skipped: counts?.skipped,
      framework: counts?.framework ?? check.rule.framework,
    };
  });
}
