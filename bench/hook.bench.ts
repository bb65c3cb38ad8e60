// Per-event cost of the hook as Codex really runs it: `$SHELL -c '<command>'`, with the exact command `init`
// writes into hooks.json (src/codex/hooks-file.ts, ourHandler), for every event we register, beside `$SHELL -c 'cat
// >/dev/null'` fed the same payload (target <= 1.5x, issue 16), under bash, dash and zsh where installed
// (an absent shell is skipped); the native front-end's command (nativeHookCommand, the binary `npm run
// build` made for this machine) beside the same floor, when it was built. Then the Node front-end (Windows' `commandWindows`) vs `node -e 0` (target
// <= 1.15x). Each command gets a real Codex payload through a pipe and is timed until it exits and its stdio
// closes, as Codex waits for it. Commands are interleaved within each round, each hook right after its
// floor, so that machine noise hits both alike; printed: medians, and the median of the per-round ratios.
// Turn-ending rows include starting the detached worker (no agent configured, so it drops the turn and
// exits); the bench lets that worker finish before timing the next command.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { nativeHookBinary } from '../scripts/build-native.mjs';
import { FULL_EVENTS, WORKER_TRIGGERS } from '../src/codex/hook-payload';
import { hookCommand, hookCommandWindows, nativeHookCommand, ourHandler } from '../src/codex/hooks-file';
import { median } from './support/stats';

// Run: npm run bench -- hook; or node --import tsx bench/hook.bench.ts <rounds> (default 30).

const root = resolve(import.meta.dirname, '..');
const dist = join(root, 'dist');
const fixtures = join(root, 'test/fixtures/codex-0.169.0/scenarios/ten-commands/hooks.jsonl');
const lines = readFileSync(fixtures, 'utf8').split('\n').filter(Boolean);
/** The fixture's payload for an event; events the scenario lacks borrow a SessionStart-sized one. */
const payloadOf = (event: string) => {
  const line = lines.find((l) => (JSON.parse(l) as { hook_event_name: string }).hook_event_name === event);
  return line ?? (lines[0] as string).replace('"SessionStart"', JSON.stringify(event));
};

const state = mkdtempSync(join(tmpdir(), 'infinium-bench-'));
const env = {
  PATH: process.env.PATH,
  HOME: state,
  INFINIUM_CODEX_HOME: join(state, 'state'),
  // The worker a turn-ending hook starts leaves after its pass instead of staying for the session (its
  // next event): settleWorker waits for it to exit, and the hook, not the worker, is measured here.
  INFINIUM_CODEX_WORKER_IDLE_SECONDS: '0',
} as NodeJS.ProcessEnv;
if (process.env.NODE_EXTRA_CA_CERTS) env.NODE_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
const node = process.execPath;
const target = { distDir: dist, nodePath: node };
const TURN_ENDING = new Set(WORKER_TRIGGERS);
const native = existsSync(nativeHookBinary()) ? nativeHookBinary() : null;

// HOOK_BENCH_SHELLS=dash,bash and HOOK_BENCH_EVENTS=Stop,PostToolUse narrow a run down (default: all).
const only = (list: string | undefined, name: string) => !list || list.split(',').includes(name);
const shells = ['/bin/bash', '/bin/dash', '/bin/zsh', '/usr/bin/zsh'].filter(
  (shell, i, all) =>
    existsSync(shell) &&
    !all.slice(0, i).some((s) => s.endsWith(shell.slice(shell.lastIndexOf('/')))) &&
    only(process.env.HOOK_BENCH_SHELLS, shell.slice(shell.lastIndexOf('/') + 1)),
);
const events = FULL_EVENTS.filter((event) => only(process.env.HOOK_BENCH_EVENTS, event));

interface Case {
  label: string;
  command: string;
  args: string[];
  input: string;
  /** The label of the floor this case is judged against. */
  base?: string;
  worker?: boolean;
  event?: string;
}
const cases: Case[] = [];
for (const shell of shells) {
  const name = shell.slice(shell.lastIndexOf('/') + 1);
  const floor = `${name} -c 'cat >/dev/null'`;
  for (const event of events) {
    cases.push({
      label: `${floor} ${event}`,
      command: shell,
      args: ['-c', 'cat >/dev/null'],
      input: payloadOf(event),
    });
    // The commands exactly as init writes them (guardedCommand around each call); with
    // HOOK_BENCH_UNGUARDED=1 also the bare calls, to weigh the guard within the same rounds.
    const hooks: [string, string][] = [['<hook>', ourHandler(event, target).command as string]];
    if (native)
      hooks.push(['<native>', ourHandler(event, { ...target, nativeHook: native }).command as string]);
    if (process.env.HOOK_BENCH_UNGUARDED === '1') {
      hooks.push(['<hook, unguarded>', hookCommand(event, target)]);
      if (native) hooks.push(['<native, unguarded>', nativeHookCommand(event, native, target)]);
    }
    for (const [kind, command] of hooks) {
      cases.push({
        label: `${name} -c ${kind} ${event}${TURN_ENDING.has(event) ? ' (+worker)' : ''}`,
        command: shell,
        args: ['-c', command],
        input: payloadOf(event),
        base: `${floor} ${event}`,
        worker: TURN_ENDING.has(event),
        event,
      });
    }
  }
}
cases.push({ label: 'node -e 0', command: node, args: ['-e', '0'], input: payloadOf('PostToolUse') });
for (const event of ['PostToolUse', 'Stop']) {
  // commandWindows without its quotes: the same program and arguments.
  const words = hookCommandWindows(event, target).match(/"[^"]*"|\S+/g) ?? [];
  const [command, ...args] = words.map((w) => w.replace(/^"|"$/g, ''));
  cases.push({
    label: `node bin.cjs hook ${event}${event === 'Stop' ? ' (+worker)' : ''}`,
    command: command as string,
    args,
    input: payloadOf(event),
    base: 'node -e 0',
    worker: event === 'Stop',
  });
}

/**
 * Lets the worker a turn-ending hook started finish, so its CPU time does not land on the next measurement:
 * until it has run, released the lock and exited (it may still be tearing Node down after the lock is gone).
 */
function settleWorker(sinceMs: number): void {
  const stats = join(env.INFINIUM_CODEX_HOME as string, 'spool', 'stats.json');
  const lock = join(env.INFINIUM_CODEX_HOME as string, 'worker.lock');
  const deadline = Date.now() + 10_000;
  const ran = () => existsSync(stats) && statSync(stats).mtimeMs >= sinceMs;
  let pid: number | undefined;
  const alive = () => {
    try {
      pid ??= Number(/"pid":(\d+)/.exec(readFileSync(lock, 'utf8'))?.[1]) || undefined;
    } catch {
      // no lock (yet, or any more)
    }
    try {
      return pid !== undefined && process.kill(pid, 0);
    } catch {
      return false;
    }
  };
  while (Date.now() < deadline && (!ran() || existsSync(lock) || alive())) spawnSync('sleep', ['0.02']);
  // And a moment more: without it, the case run next (every turn-ending row follows another's worker) took
  // up to twice its time (dash Stop, native: 1.95x the floor, 1.01x with the pause; at load 4.5).
  spawnSync('sleep', ['0.3']);
}

const rounds = Number(process.argv[2]) || 30;
const samples = new Map<string, number[]>(cases.map((c) => [c.label, []]));
for (let round = -3; round < rounds; round += 1) {
  for (const c of cases) {
    const started = process.hrtime.bigint();
    const run = spawnSync(c.command, c.args, { input: c.input, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (run.status !== 0 || run.stdout.length > 0 || run.stderr.length > 0) {
      throw new Error(`${c.label}: exit ${run.status}, output ${run.stdout}${run.stderr}`);
    }
    if (round >= 0) samples.get(c.label)?.push(ms);
    if (c.worker) settleWorker(Date.now() - ms - 1);
    // A prompt finding another prompt still spooled starts the worker (a turn that ended without a Stop):
    // in a real session the previous turn's worker has consumed it, so the next prompt is timed that way.
    if (c.event === 'UserPromptSubmit') clearPrompts();
  }
}

function clearPrompts(): void {
  const spool = join(env.INFINIUM_CODEX_HOME as string, 'spool');
  for (const name of existsSync(spool) ? readdirSync(spool) : []) {
    if (!name.endsWith('.UserPromptSubmit.json')) continue;
    rmSync(join(spool, name), { force: true });
    rmSync(join(spool, 'tmp', name.slice(0, -'.UserPromptSubmit.json'.length)), { force: true });
  }
}

const m = (label: string) => median(samples.get(label) ?? []);
console.log(
  `shells: ${shells.join(', ')}; native front-end: ${native ?? 'not built (no C compiler?)'}; ` +
    `load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(' ')} at the end`,
);
console.log(
  `${rounds} interleaved rounds, medians; payload sizes ` +
    events.map((e) => `${e} ${Buffer.byteLength(payloadOf(e))} B`).join(', '),
);
/** The median over rounds of a case's time over its floor's in the same round. */
const pairedRatio = (c: Case) => {
  const floor = samples.get(c.base as string) ?? [];
  return median((samples.get(c.label) ?? []).map((ms, round) => ms / (floor[round] as number)));
};
for (const c of cases) {
  const ratio = c.base ? `  ${pairedRatio(c).toFixed(2)}x` : '';
  console.log(`${c.label.padEnd(52)} ${m(c.label).toFixed(2).padStart(8)} ms${ratio}`);
}
console.log(
  "targets: $SHELL -c <hook> and <native> <= 1.5x $SHELL -c 'cat >/dev/null'; node bin.cjs hook <= 1.15x node -e 0",
);
rmSync(state, { recursive: true, force: true });
