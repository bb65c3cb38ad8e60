import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECK_KINDS } from '../../../src/infinium/task-data';
import {
  CHECK_TABLE,
  checkResults,
  coverageTotal,
  recogniseChecks,
  simpleCommands,
  testCounts,
} from '../../../src/trace/checks';

const CHECKS = join(import.meta.dirname, '../../fixtures/checks');
const recorded = (name: string) => readFileSync(join(CHECKS, name), 'utf8');
const documented = (name: string) => readFileSync(join(CHECKS, 'documented', name), 'utf8');
const kinds = (command: string) => recogniseChecks(command).map((check) => check.kind);

describe('the check table', () => {
  it.each([
    ['npm test', ['test']],
    ['npm t', ['test']],
    ['npm run build', ['build']],
    ['npm run test:unit -- --reporter dot', ['test']],
    ['pnpm --filter web run typecheck', ['typecheck']],
    ['pnpm -r lint', ['lint']],
    ['yarn workspace api test', ['test']],
    ['bun run format:check', ['format']],
    ['bun test', ['test']],
    ['npm ci', []],
    ['npm install vitest', []],
    ['npx vitest run src/a.test.ts', ['test']],
    ['CI=1 timeout 120 npx jest --coverage', ['test']],
    ['./node_modules/.bin/mocha', ['test']],
    ['node --test test/', ['test']],
    ['node --experimental-test-coverage --test', ['test']],
    ['node server.js', []],
    ['npx tsc --noEmit', ['typecheck']],
    ['tsc -b', ['build']],
    ['npx eslint . --max-warnings 0', ['lint']],
    ['npx biome check .', ['lint']],
    ['npx biome format --write .', ['format']],
    ['npx prettier --check .', ['format']],
    ['pytest -q tests/test_calc.py', ['test']],
    ['python -m pytest', ['test']],
    ['python3 -m unittest discover', ['test']],
    ['uv run pytest -x', ['test']],
    ['poetry run mypy src', ['typecheck']],
    ['ruff check .', ['lint']],
    ['ruff format --check .', ['format']],
    ['go test ./...', ['test']],
    ['go build ./cmd/app', ['build']],
    ['go vet ./...', ['lint']],
    ['cargo test --offline', ['test']],
    ['cargo build --release', ['build']],
    ['cargo clippy -- -D warnings', ['lint']],
    ['cargo fmt --check', ['format']],
    ['./gradlew test', ['test']],
    ['gradle build', ['build']],
    ['mvn -q test', ['test']],
    ['./mvnw package -DskipTests', ['build']],
    ['dotnet test', ['test']],
    ['dotnet build -c Release', ['build']],
    ['bundle exec rspec spec/calc_spec.rb', ['test']],
    ['vendor/bin/phpunit', ['test']],
    ['make', ['build']],
    ['make -j4 test', ['test']],
    ['make lint', ['lint']],
    ['make install-deps', []],
    ['javac A.java', ['build']],
    ['ctest --output-on-failure', ['test']],
    ['git commit -m "fix tests; npm test passes"', []],
    ['cd web && npm test 2>&1 | tail -20', ['test']],
    ["bash -lc 'npm run lint && npm test'", ['lint', 'test']],
    ['sed -i s/a/b/ src/x.ts; npm run build', ['build']],
  ])('%s -> %j', (command, expected) => {
    expect(kinds(command)).toEqual(expected);
  });

  it('names every kind in some row, and every row has a tool name for the docs', () => {
    for (const row of CHECK_TABLE) expect(row.tool).not.toBe('');
    expect(new Set(CHECK_TABLE.map((row) => row.kind).filter((kind) => typeof kind === 'string'))).toEqual(
      new Set(CHECK_KINDS),
    );
  });

  it('splits a command line at its operators, outside quotes only', () => {
    expect(simpleCommands('a && b || c; d | e\nf')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(simpleCommands('echo "x && y" && make 2>&1 >/dev/null')).toEqual([
      'echo "x && y"',
      'make 2>&1 >/dev/null',
    ]);
    expect(simpleCommands(`/bin/bash -lc "cd x && cargo test"`)).toEqual(['cd x', 'cargo test']);
  });
});

describe('test counts from real outputs recorded here', () => {
  it.each([
    ['node-test-failed.txt', { passed: 2, failed: 1, skipped: 1, framework: 'node:test' }],
    ['node-test-coverage.txt', { passed: 3, failed: 0, skipped: 1, framework: 'node:test' }],
    ['vitest-failed.txt', { passed: 1, failed: 1, skipped: 1, framework: 'vitest' }],
    ['npm-test-vitest-failed.txt', { passed: 1, failed: 1, skipped: 1, framework: 'vitest' }],
    ['npm-test-vitest-passed.txt', { passed: 2, failed: 0, skipped: 1, framework: 'vitest' }],
    ['pytest-failed.txt', { passed: 2, failed: 1, skipped: 1, framework: 'pytest' }],
    ['pytest-failed-verbose.txt', { passed: 2, failed: 1, skipped: 1, framework: 'pytest' }],
    ['pytest-passed.txt', { passed: 3, failed: 0, skipped: 1, framework: 'pytest' }],
    ['unittest-failed.txt', { passed: 2, failed: 1, skipped: 1, framework: 'unittest' }],
    ['unittest-passed.txt', { passed: 3, failed: 0, skipped: 1, framework: 'unittest' }],
    ['cargo-test-failed.txt', { passed: 1, failed: 1, skipped: 1, framework: 'cargo test' }],
    ['cargo-test-passed.txt', { passed: 2, failed: 0, skipped: 1, framework: 'cargo test' }],
  ])('%s', (file, counts) => {
    expect(testCounts(recorded(file))).toEqual(counts);
  });

  it('finds no test counts in outputs that print none', () => {
    for (const file of [
      'cargo-build-failed.txt',
      'cargo-clippy-failed.txt',
      'make-gcc-failed.txt',
      'javac-failed.txt',
      'tsc-failed.txt',
      'biome-lint-failed.txt',
      'biome-format-failed.txt',
      'mvn-test-failed.txt',
    ]) {
      expect(testCounts(recorded(file)), file).toBeUndefined();
    }
  });
});

describe('test counts from the documented outputs of tools not installed here', () => {
  it.each([
    ['jest-failed.txt', { passed: 11, failed: 1, skipped: 2, framework: 'jest' }],
    ['jest-coverage.txt', { passed: 3, failed: 0, skipped: 0, framework: 'jest' }],
    ['mocha-failed.txt', { passed: 11, failed: 1, skipped: 2, framework: 'mocha' }],
    ['go-test-failed.txt', { passed: 1, failed: 1, skipped: 1, framework: 'go test' }],
    ['go-test-passed.txt', { framework: 'go test' }],
    ['rspec-failed.txt', { passed: 3, failed: 1, skipped: 1, framework: 'rspec' }],
    ['phpunit-failed.txt', { passed: 3, failed: 1, skipped: 1, framework: 'phpunit' }],
    ['phpunit-passed.txt', { passed: 5, failed: 0, skipped: 0, framework: 'phpunit' }],
    ['dotnet-test-failed.txt', { passed: 11, failed: 1, skipped: 0, framework: 'dotnet test' }],
    ['mvn-surefire-failed.txt', { passed: 1, failed: 1, skipped: 1, framework: 'junit' }],
    ['gradle-test-failed.txt', { passed: 9, failed: 1, skipped: 2, framework: 'junit' }],
    ['bun-test-failed.txt', { passed: 11, failed: 1, skipped: 2, framework: 'bun test' }],
    ['ctest-failed.txt', { passed: 2, failed: 1, framework: 'ctest' }],
    ['pytest-cov.txt', { passed: 12, failed: 0, skipped: 0, framework: 'pytest' }],
  ])('%s', (file, counts) => {
    expect(testCounts(documented(file))).toEqual(counts);
  });
});

describe('coverage totals', () => {
  it('reads the total each coverage tool prints', () => {
    expect(coverageTotal(recorded('node-test-coverage.txt'))).toBe(100);
    expect(coverageTotal(documented('jest-coverage.txt'))).toBe(85.71);
    expect(coverageTotal(documented('pytest-cov.txt'))).toBe(85);
    // Several packages: the last one printed.
    expect(coverageTotal(documented('go-test-failed.txt'))).toBe(91.2);
    expect(coverageTotal('85.00% coverage, 170/200 lines covered')).toBe(85);
    expect(coverageTotal(recorded('pytest-passed.txt'))).toBeUndefined();
  });
});

describe('check verdicts', () => {
  it('takes the exit code when the output has no summary', () => {
    expect(
      checkResults({
        input: 'cargo build',
        output: recorded('cargo-build-failed.txt'),
        exitCode: 101,
        status: 'failure',
      }),
    ).toEqual([
      { kind: 'build', command: 'cargo build', tool: 'cargo build', exitCode: 101, status: 'failed' },
    ]);
    expect(
      checkResults({
        input: 'make',
        output: recorded('make-gcc-passed.txt'),
        exitCode: 0,
        status: 'success',
      }),
    ).toMatchObject([{ kind: 'build', status: 'passed' }]);
  });

  it('says failed when the summary names failures though a pipe hid the exit code', () => {
    expect(
      checkResults({
        input: 'npm test 2>&1 | tail -5',
        output: recorded('npm-test-vitest-failed.txt'),
        exitCode: 0,
        status: 'success',
      }),
    ).toEqual([
      {
        kind: 'test',
        command: 'npm test 2>&1',
        tool: 'npm test',
        exitCode: 0,
        status: 'failed',
        passed: 1,
        failed: 1,
        skipped: 1,
        framework: 'vitest',
      },
    ]);
  });

  it('gives each check of a compound command its own verdict when the test summary tells', () => {
    const results = checkResults({
      input: 'npm test && npm run build',
      output: `${recorded('npm-test-vitest-passed.txt')}\n> build\nerror TS2322`,
      exitCode: 1,
      status: 'failure',
    });
    expect(results.map((r) => [r.kind, r.status])).toEqual([
      ['test', 'passed'],
      ['build', 'failed'],
    ]);
  });

  it('gives no verdict for a check that never finished', () => {
    expect(checkResults({ input: 'npm test', status: 'incomplete' })).toEqual([]);
  });
});
