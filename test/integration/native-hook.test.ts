// The native hook front-end (native/hook.c) against hook.sh, the fallback it must stay in step with: the
// same input gives the same state dir, byte for byte (names but for the pid, modes, contents). The suites
// that run every front-end (capture-hooks, capture, the reliability ones) check the rest of its behaviour.
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DIST,
  FRONT_ENDS,
  type FrontEnd,
  hookShellCommand,
  makeSandbox,
  runHook,
  runProcess,
  type Sandbox,
} from '../support/capture-harness';

let hookDist: string;
const boxes: Sandbox[] = [];
beforeAll(() => {
  // No worker.mjs: a turn-ending event's worker finds nothing to run (and /bin/true is its node anyway).
  hookDist = mkdtempSync(join(tmpdir(), 'infinium-native-dist-'));
  copyFileSync(join(DIST, 'hook.sh'), join(hookDist, 'hook.sh'));
  copyFileSync(join(DIST, 'bin.cjs'), join(hookDist, 'bin.cjs'));
});
afterAll(() => {
  for (const box of boxes) box.cleanup();
  rmSync(hookDist, { recursive: true, force: true });
});

function sandbox(): Sandbox {
  const box = makeSandbox();
  boxes.push(box);
  return box;
}

/**
 * Everything under a state dir: each path with the hook's pid replaced by `P` (it differs by nature), its
 * mode and, for files, its bytes; sorted, as hooks run one after the other all take sequence 0.
 */
function stateTree(state: string): string[] {
  const rows: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const relative = `${rel}/${name.replace(/^\d+-/, 'P-')}`;
      const stat = lstatSync(path);
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isDirectory()) {
        rows.push(`${relative}/ ${mode}`);
        walk(path, relative);
      } else {
        rows.push(`${relative} ${mode} ${readFileSync(path).toString('base64')}`);
      }
    }
  };
  walk(state, '');
  return rows.sort();
}

function payloadsOf(file: string): [string, string][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => [(JSON.parse(line) as { hook_event_name: string }).hook_event_name, line]);
}

const FIXTURES = join(import.meta.dirname, '../fixtures');

/** Real Codex payloads: the 0.169.0 set and every 0.171.0 scenario's hook events. */
function fixturePayloads(): [string, string][] {
  const scenarios = join(FIXTURES, 'codex-0.171.0/scenarios');
  return [
    ...payloadsOf(join(FIXTURES, 'codex-0.169.0/hook-payloads.jsonl')),
    ...readdirSync(scenarios).flatMap((name) => payloadsOf(join(scenarios, name, 'hooks.jsonl'))),
  ];
}

/** Runs `script` (given the hook command as $1) under sh, and checks the run was silent. */
async function shell(frontEnd: FrontEnd, event: string, script: string, env: Record<string, string>) {
  const hook = hookShellCommand(frontEnd, event, { dist: hookDist, node: '/bin/true' });
  const run = await runProcess('sh', ['-c', script, 'sh', hook], null, env);
  expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
}

/** The state dir each of hook.sh and the native front-end leaves after `feed` runs in a fresh sandbox. */
async function bothTrees(feed: (frontEnd: FrontEnd, env: Record<string, string>) => Promise<void>) {
  const trees: string[][] = [];
  for (const frontEnd of ['sh', 'native'] as const) {
    const box = sandbox();
    await feed(frontEnd, box.env);
    trees.push(stateTree(box.state));
  }
  return trees as [string[], string[]];
}

describe.skipIf(!FRONT_ENDS.includes('native'))('native hook front-end: the same bytes as hook.sh', () => {
  const pipe = (payloads: [string, string | Buffer][], extraEnv: Record<string, string> = {}) =>
    bothTrees(async (frontEnd, env) => {
      for (const [event, payload] of payloads) {
        const run = await runHook(
          frontEnd,
          event,
          payload,
          { ...env, ...extraEnv },
          { dist: hookDist, node: '/bin/true' },
        );
        expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
      }
    });

  it("Codex's real payloads (0.169.0 and 0.171.0 fixtures)", async () => {
    const payloads = fixturePayloads();
    const [sh, native] = await pipe(payloads);
    expect(sh.filter((row) => row.startsWith('/spool/P-'))).toHaveLength(payloads.length);
    expect(native).toEqual(sh);
  }, 60_000);

  it('a 1 MB payload, binary junk, an empty payload and names that are not event names', async () => {
    const big = JSON.stringify({ session_id: 's', tool_response: 'x'.repeat(1024 * 1024) });
    const junk = Buffer.concat([randomBytes(70_000), Buffer.from([0, 0xff, 0xfe, 0x0a, 0])]);
    const [sh, native] = await pipe([
      ['PostToolUse', big],
      ['PostToolUse', junk],
      ['Stop', ''],
      ['../../etc/passwd', '{"a":1}'],
      ['A'.repeat(65), '{"b":2}'],
      ['', '{"c":3}'],
    ]);
    expect(sh.filter((row) => row.startsWith('/spool/P-'))).toHaveLength(5);
    expect(native).toEqual(sh);
  }, 60_000);

  it("a session's tracing settings after the payload, the secret only as set", async () => {
    const [sh, native] = await pipe([['Stop', '{"session_id":"s-env"}']], {
      INFINIUM_AGENT_ID: 'agent-%s \\n\nnext',
      INFINIUM_CODEX_RUN_LABEL: 'label with spaces',
      INFINIUM_CODEX_DISABLED: 'no',
      INFINIUM_AGENT_SECRET: 'k',
    });
    const entry = native.find((row) => row.startsWith('/spool/tmp/P-0 '))?.split(' ')[2] ?? '';
    expect(Buffer.from(entry, 'base64').toString()).toContain('\0env1\0INFINIUM_CODEX_DISABLED=no\0');
    expect(Buffer.from(entry, 'base64').toString()).toMatch(/INFINIUM_AGENT_SECRET=set$/);
    expect(native).toEqual(sh);
  });

  it('a slow writer: pauses under the stdin wait, longer than it in all', async () => {
    const writer = `for i in 1 2 3 4; do printf '{"part":%s}' $i; sleep 0.8; done`;
    const [sh, native] = await bothTrees((frontEnd, env) =>
      shell(frontEnd, 'PostToolUse', `(${writer}) | { eval "$1"; }`, env),
    );
    expect(
      sh.some((row) =>
        row.endsWith(Buffer.from('{"part":1}{"part":2}{"part":3}{"part":4}').toString('base64')),
      ),
    ).toBe(true);
    expect(native).toEqual(sh);
  }, 30_000);

  it('a regular file as stdin, read from its offset', async () => {
    const box = sandbox();
    const file = join(box.dir, 'stdin');
    writeFileSync(file, 'skip:{"from":"the offset"}');
    const [sh, native] = await bothTrees((frontEnd, env) =>
      shell(
        frontEnd,
        'UserPromptSubmit',
        `{ dd bs=1 count=5 status=none >/dev/null; eval "$1"; } <'${file}'`,
        env,
      ),
    );
    expect(sh.some((row) => row.endsWith(Buffer.from('{"from":"the offset"}').toString('base64')))).toBe(
      true,
    );
    expect(native).toEqual(sh);
  });
});
