// Hook fuzzing: thousands of generated stdin inputs (test/support/fuzz-inputs.ts) through the real hook
// front-ends, run as Codex runs them. Every run must exit 0 with empty stdout and stderr before its
// budget; every input whose stdin was closed must be in the spool exactly once, byte for byte; then the
// real worker must take the whole spool apart without crashing: every Codex-like session reaches the
// stand-in as exactly one trace, and every unplaceable entry is set aside and counted.
//
// Scale (CI runs the defaults): FUZZ_RUNS inputs (6,000) through the native front-end, the default one
// (through the shell one where no native program was built), and a stratified sample of them through each
// other front-end: FUZZ_SH_SAMPLE (1,500) through hook.sh, FUZZ_NODE_SAMPLE (400) through the Node one (`all`
// for every input); FUZZ_SEED (printed) replays a run; FUZZ_CONCURRENCY hooks at once (6).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spoolStats } from '../../src/spool';
import { spooledBytes } from '../../src/spool/events';
import { spoolPaths } from '../../src/spool/layout';
import { splitSpoolEntry } from '../../src/spool/session-env';
import { toolsFromHooks } from '../../src/trace/activity';
import {
  DIST,
  FRONT_ENDS,
  type FrontEnd,
  type HookRun,
  hookCommand,
  hookShellCommand,
  makeSandbox,
  runHook,
  type Sandbox,
  spoolNames,
  storeAgentSecret,
} from '../support/capture-harness';
import {
  type FuzzInput,
  type FuzzPlan,
  generateFuzzInputs,
  mustBeSpooled,
  spooledEventName,
} from '../support/fuzz-inputs';
import { type StandIn, startStandIn } from '../support/infinium-stand-in';
import { runWorkerProcess } from '../support/scenario';
import { type Spawner, startSpawner } from '../support/spawner';

const RUNS = Number(process.env.FUZZ_RUNS ?? 6_000);
const SH_SAMPLE = process.env.FUZZ_SH_SAMPLE ?? '1500';
const NODE_SAMPLE = process.env.FUZZ_NODE_SAMPLE ?? '400';
/** The front-end that takes every input: the default one where it was built. */
const EVERY_INPUT: FrontEnd = FRONT_ENDS.includes('native') ? 'native' : 'sh';
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 6);
/**
 * A hook still running after this is hung: the stdin wait is 2 s of silence, the rest is a loaded 2-core
 * machine. Tens of MB take longer to arrive: those get more.
 */
const HOOK_BUDGET_MS = 30_000;
const GIANT_BUDGET_MS = 180_000;
const AGENT = '3f1f0c2e-0000-4000-8000-00000000f022';
const SECRET = 'ik_live_fuzz_secret_0123456789';

let server: StandIn;
// This process holds every input in memory: hooks are started from a small helper (spawner.ts says why).
let spawner: Spawner;
let hookDist: string;
let plan: FuzzPlan;
const boxes: Sandbox[] = [];

beforeAll(async () => {
  server = await startStandIn({ [AGENT]: SECRET });
  spawner = startSpawner();
  // The hooks' dist has no worker.mjs: the worker a turn-ending event starts finds nothing to run, so the
  // spool stays as the hooks left it until the test runs the real worker on it.
  hookDist = mkdtempSync(join(tmpdir(), 'infinium-fuzz-dist-'));
  copyFileSync(join(DIST, 'hook.sh'), join(hookDist, 'hook.sh'));
  copyFileSync(join(DIST, 'bin.cjs'), join(hookDist, 'bin.cjs'));
});
afterAll(async () => {
  await spawner.close();
  await server.close();
  for (const box of boxes) box.cleanup();
  rmSync(hookDist, { recursive: true, force: true });
});

interface TimedRun extends HookRun {
  input: FuzzInput;
  ms: number;
  timedOut?: true;
}

/**
 * Runs the inputs through one front-end, CONCURRENCY at a time; the events of one session run in order,
 * one after the other, as Codex fires them.
 */
async function runAll(frontEnd: FrontEnd, inputs: FuzzInput[], env: Record<string, string>) {
  const queues = new Map<string, FuzzInput[]>();
  for (const input of inputs) {
    const key = input.chain ?? `input-${input.id}`;
    queues.set(key, [...(queues.get(key) ?? []), input]);
  }
  const pending = [...queues.values()];
  const runs: TimedRun[] = [];
  const lane = async () => {
    for (let queue = pending.shift(); queue; queue = pending.shift()) {
      for (const input of queue) {
        const giant = input.bytes.length > 10_000_000;
        const stdinFile = giant ? join(hookDist, `stdin-${input.id}`) : undefined;
        if (stdinFile) writeFileSync(stdinFile, input.bytes);
        const started = performance.now();
        const run = await spawner.runHook(frontEnd, input.event, giant ? null : input.bytes, env, {
          dist: hookDist,
          stdinFile,
          keepStdinOpen: input.keepStdinOpen,
          // The worker start of the shell front-end costs a Node start per turn-ending event: the fuzz
          // runs it with a no-op instead (the Node front-end always starts its own node).
          node: '/bin/true',
          timeoutMs: giant ? GIANT_BUDGET_MS : HOOK_BUDGET_MS,
        });
        if (stdinFile) rmSync(stdinFile);
        runs.push({ ...run, input, ms: performance.now() - started });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return runs;
}

const digest = (event: string, bytes: Buffer) =>
  `${event}:${createHash('sha256').update(bytes).digest('hex')}`;

/** Each spooled key (event and content hash) with how many times it is there. */
function countKeys(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

function describeRun(run: TimedRun): string {
  return `#${run.input.id} ${run.input.category} (event ${JSON.stringify(run.input.event)}, ${run.input.bytes.length} B): code ${run.code}${run.timedOut ? ', hung' : ''}, stdout ${JSON.stringify(run.stdout.slice(0, 200))}, stderr ${JSON.stringify(run.stderr.slice(0, 200))}`;
}

async function fuzz(frontEnd: FrontEnd, inputs: FuzzInput[], sessions: string[]) {
  const box = makeSandbox({ agentId: AGENT, baseUrl: server.url });
  boxes.push(box);
  const project = box.project;
  // The generated payloads name a placeholder project; each sandbox has its own.
  const placed = inputs.map((input) => ({
    ...input,
    bytes: input.bytes.includes(PROJECT)
      ? Buffer.from(input.bytes.toString('latin1').split(PROJECT).join(project), 'latin1')
      : input.bytes,
  }));
  storeAgentSecret(box, { [AGENT]: SECRET });
  // A recorded variable, so that every entry carries the session's settings after its payload.
  const env = { ...box.env, INFINIUM_CODEX_RUN_LABEL: 'fuzz', INFINIUM_CODEX_STALE_SECONDS: '1' };

  const started = performance.now();
  const runs = await runAll(frontEnd, placed, env);
  const wallMs = performance.now() - started;
  const bad = runs.filter((r) => r.code !== 0 || r.stdout !== '' || r.stderr !== '' || r.timedOut);
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  const giant = runs.filter((r) => r.input.bytes.length > 10_000_000);
  console.log(
    `fuzz ${frontEnd}: ${runs.length} hook runs in ${(wallMs / 1000).toFixed(1)} s (${CONCURRENCY} at a time); ` +
      `per run p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms, ` +
      `max ${percentile(times, 100).toFixed(0)} ms; the ${giant.length} inputs over 10 MB took ` +
      `${giant.map((r) => `${(r.ms / 1000).toFixed(1)} s`).join(', ')}; ${bad.length} not silent or not exit 0`,
  );
  expect(bad.slice(0, 5).map(describeRun)).toEqual([]);

  // Every input whose stdin was closed is in the spool exactly once, byte for byte, under its event name,
  // followed by the session's settings.
  const spoolDir = join(box.state, 'spool');
  const names = spoolNames(box.state);
  const entries = names.map((name) => splitSpoolEntry(spooledBytes(join(spoolDir, name))));
  expect(entries.filter((e) => e.env?.INFINIUM_CODEX_RUN_LABEL !== 'fuzz')).toEqual([]);
  const actual = countKeys(
    names.map((name, i) => digest(name.replace(/^\d+-\d+\.|\.json$/g, ''), entries[i]?.payload as Buffer)),
  );
  const expected = countKeys(
    placed.filter(mustBeSpooled).map((input) => digest(spooledEventName(input.event), input.bytes)),
  );
  const missing = [...expected].filter(([key, n]) => (actual.get(key) ?? 0) < n);
  const extra = [...actual].filter(([key, n]) => (expected.get(key) ?? 0) < n);
  const lostInputs = placed.filter((input) =>
    missing.some(([key]) => key === digest(spooledEventName(input.event), input.bytes)),
  );
  expect(lostInputs.slice(0, 5).map((i) => `#${i.id} ${i.category} ${i.event}`)).toEqual([]);
  expect(extra).toEqual([]);
  // Each temp file holds the payload of a published name (an empty marker): none is partial or orphaned.
  const temps = readdirSync(join(spoolDir, 'tmp'));
  expect(temps.sort()).toEqual(names.map((n) => n.replace(/\.[A-Za-z]+\.json$/, '')).sort());
  expect(names.filter((n) => statSync(join(spoolDir, n)).size !== 0)).toEqual([]);

  // The real worker takes the lot: every session is one trace, everything unplaceable is counted aside.
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  const tracesBefore = server.traces.length;
  const workerStarted = performance.now();
  const code = await runWorkerProcess(env);
  const workerMs = performance.now() - workerStarted;
  const log = readFileSync(spoolPaths(env).workerLog, 'utf8');
  expect(code).toBe(0);
  expect(log).not.toMatch(/worker failed|session [^ ]+: /);
  const stats = spoolStats(env);
  const spooledCorrupt = placed.filter((i) => mustBeSpooled(i) && i.verdict === 'corrupt').length;
  const received = server.traces.slice(tracesBefore);
  const perSession = countKeys(
    received.map((t) => String((t.body.environment as { session_id?: string } | undefined)?.session_id)),
  );
  console.log(
    `fuzz ${frontEnd}: worker took ${(workerMs / 1000).toFixed(1)} s for ${names.length} spooled entries: ` +
      `${received.length} traces sent, ${stats.corruptSkipped} corrupt entries set aside and counted ` +
      `(${spooledCorrupt} expected), ${stats.turnsFailed} turns failed, ${stats.spooledEvents} left in the spool`,
  );
  expect(stats).toMatchObject({
    spooledEvents: 0,
    outbox: 0,
    dead: 0,
    turnsFailed: 0,
    corruptSkipped: spooledCorrupt,
  });
  expect(sessions.filter((s) => perSession.get(s) !== 1)).toEqual([]);
  expect(received).toHaveLength(sessions.length);
}

const PROJECT = '/fuzz-project-placeholder';

/**
 * A sample of `sample` inputs (`all`: every one) for the front-ends other than the default one, kept small
 * for CI's time (a Node start, or hook.sh's dd and friends, per run). No front-end looks inside the bytes
 * (each spools them whole), so what varies their path is the size, the event name and how stdin ends: the
 * sample takes every category, every hostile event name, the giant and never-closed inputs, and whole
 * sessions.
 */
function stratifiedSample(inputs: FuzzInput[], sample: string): FuzzInput[] {
  if (sample === 'all') return inputs;
  const size = Number(sample);
  const chosen = new Set<FuzzInput>();
  const byCategory = new Map<string, FuzzInput[]>();
  for (const input of inputs) {
    if (input.chain) continue;
    byCategory.set(input.category, [...(byCategory.get(input.category) ?? []), input]);
  }
  const seenEvents = new Set<string>();
  for (const input of inputs) {
    if (!input.chain && !seenEvents.has(input.event)) {
      seenEvents.add(input.event);
      chosen.add(input);
    }
  }
  const perCategory = Math.max(1, Math.floor(size / 2 / byCategory.size));
  for (const list of byCategory.values()) for (const input of list.slice(0, perCategory)) chosen.add(input);
  const chains = [...new Set(inputs.flatMap((i) => (i.chain ? [i.chain] : [])))];
  for (const chain of chains) {
    if (chosen.size >= size) break;
    for (const input of inputs) if (input.chain === chain) chosen.add(input);
  }
  return inputs.filter((input) => chosen.has(input));
}

describe('hook fuzzing', () => {
  beforeAll(() => {
    plan = generateFuzzInputs({ seed: SEED, count: RUNS, project: PROJECT });
    const categories = countKeys(plan.inputs.map((i) => i.category));
    console.log(
      `fuzz: seed ${SEED}, ${plan.inputs.length} inputs (${plan.sessions.length} Codex-like sessions): ` +
        [...categories].map(([c, n]) => `${c} ${n}`).join(', '),
    );
  }, 120_000);

  it(`${EVERY_INPUT} front-end: every input, each run silent and exit 0, every closed stdin spooled once, byte for byte`, async () => {
    await fuzz(EVERY_INPUT, plan.inputs, plan.sessions);
  }, 900_000);

  it.each([...(EVERY_INPUT === 'sh' ? [] : [['sh', SH_SAMPLE] as const]), ['node', NODE_SAMPLE]] as const)(
    '%s front-end: a stratified sample (at most %s inputs), same checks',
    async (frontEnd, size) => {
      const sample = stratifiedSample(plan.inputs, size);
      const chains = new Set(sample.flatMap((i) => (i.chain ? [i.chain] : [])));
      await fuzz(
        frontEnd,
        sample,
        plan.sessions.filter((s) => chains.has(s)),
      );
    },
    900_000,
  );
});

describe('deep input', () => {
  it('a tool input nested deeper than JSON.stringify can go still makes a traced tool call', () => {
    const depth = 100_000;
    const payload = JSON.parse(
      `{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"mcp__x__y","tool_use_id":"c","tool_input":${'['.repeat(depth)}${']'.repeat(depth)}}`,
    );
    const [tool] = toolsFromHooks([{ event: 'PreToolUse', arrivedAtMs: 0, payload }]);
    expect(tool).toMatchObject({ name: 'mcp__x__y', input: '[not shown: nested too deeply]' });
  });
});

describe('hook stdin wait', () => {
  it('node: keeps a payload that arrived while the hook was not scheduled for longer than the stdin wait', async () => {
    const box = makeSandbox();
    boxes.push(box);
    // A loaded machine, made reproducible: the process stalls right after arming its stdin wait, while
    // the whole payload and the end of stdin arrive.
    const stall = join(box.dir, 'stall.cjs');
    writeFileSync(
      stall,
      `const arm = setTimeout;
globalThis.setTimeout = (fn, ms, ...rest) => {
  const timer = arm(fn, ms, ...rest);
  if (ms === 2000) for (const end = Date.now() + 2500; Date.now() < end; );
  return timer;
};
`,
    );
    const run = await runHook(
      'node',
      'UserPromptSubmit',
      '{"stalled":true}',
      {
        ...box.env,
        NODE_OPTIONS: `--require ${stall}`,
      },
      { dist: hookDist },
    );
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(spoolNames(box.state).map((n) => spooledBytes(join(box.state, 'spool', n)).toString())).toEqual([
      '{"stalled":true}',
    ]);
  });

  it.runIf(FRONT_ENDS.includes('native'))(
    'native: keeps a payload that arrived while the hook was stopped for longer than the stdin wait',
    async () => {
      const box = makeSandbox();
      boxes.push(box);
      const [command, args] = hookCommand('native', 'UserPromptSubmit', {
        dist: hookDist,
        node: '/bin/true',
      });
      const hook = spawn(command, args, { env: box.env, stdio: ['pipe', 'ignore', 'ignore'] });
      const closed = new Promise((resolve) => hook.on('close', resolve));
      // Waiting for input by then; stopped, as a loaded machine may leave it unscheduled, while the whole
      // payload and the end of stdin arrive.
      await new Promise((resolve) => setTimeout(resolve, 300));
      hook.kill('SIGSTOP');
      hook.stdin.end('{"stalled":true}');
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      hook.kill('SIGCONT');
      expect(await closed).toBe(0);
      expect(spoolNames(box.state).map((n) => spooledBytes(join(box.state, 'spool', n)).toString())).toEqual([
        '{"stalled":true}',
      ]);
    },
  );

  it.each(FRONT_ENDS)(
    '%s: keeps a payload that takes longer than the stdin wait to arrive, as long as it keeps coming',
    async (frontEnd) => {
      const box = makeSandbox();
      boxes.push(box);
      const hook = hookShellCommand(frontEnd, 'PostToolUse', { dist: hookDist, node: '/bin/true' });
      // 4.5 s in all, never 2 s without a byte: a big payload written slowly by a busy Codex.
      const writer = `for i in 1 2 3; do printf '{"part":%s}' $i; sleep 1.5; done`;
      const output = await new Promise<string>((resolve) => {
        const child = spawn('sh', ['-c', `(${writer}) | { ${hook}; }`], { env: box.env });
        let text = '';
        child.stdout.on('data', (d) => {
          text += d;
        });
        child.stderr.on('data', (d) => {
          text += d;
        });
        child.on('close', () => resolve(text));
      });
      expect(output).toBe('');
      const names = spoolNames(box.state);
      expect(names.map((n) => spooledBytes(join(box.state, 'spool', n)).toString())).toEqual([
        '{"part":1}{"part":2}{"part":3}',
      ]);
    },
    20_000,
  );
});
