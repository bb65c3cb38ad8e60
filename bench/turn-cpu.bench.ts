// Issue 25: what a traced turn costs in CPU, background work included. Real `codex exec` sessions of one
// scripted 10-command turn, each with every process of the turn accounted (bench/support/cpu-accounting.ts:
// a cgroup v2 group of its own on Linux, detached workers included) until the last one exits, side by side
// with the same turn without hooks in the same rounds (shuffled order each round).
//
// Every sandbox's project is a git repository of 200 small committed files, so outcome evidence (git
// snapshots at SessionStart and per turn) has a working tree to look at; INFINIUM_CODEX_GIT_EVIDENCE=0
// in BENCH_EXTRA_ENV gives the same turn without it.
// Configurations of ours (our hooks as our own `init` installs them, lean capture unless BENCH_CAPTURE=full):
// Infinium healthy with Maestro's evaluation ready at the second poll (evaluation polling as shipped);
// healthy with evaluation polling off (no evaluation pending: how soon our last process ends after the
// send); answering after 2 s; down. Each worker process appends what its phases cost to a timing log
// (INFINIUM_CODEX_BENCH_TIMING, src/worker/timing.ts), which splits our CPU by process and phase; what is
// left of our CPU over no hooks is the hooks and Codex's own work to run them. A bare `node -e 0` at the
// worker's niceness, counted the same way each round, is the Node start within a worker's load.
// Asserts nothing; prints medians with 95% bootstrap intervals over rounds.
// Run: npm run bench -- turn-cpu   (BENCH_ROUNDS=n, default 5; BENCH_ONLY=<regex> keeps the configurations
// of ours whose name matches; BENCH_CAPTURE=lean|full; BENCH_TURN=message: a turn of one message and no
// command instead, a session shorter than a Node start, whose later hooks come before the first worker
// holds the lock; BENCH_JSON=<file> writes every sample there;
// BENCH_EXTRA_ENV='NAME=value ...' adds the healthy configuration again with those variables set in the
// session's environment, e.g. a setting that turns outcome evidence or cost on or off)
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { WorkerTiming } from '../src/worker/timing';
import {
  codexBinary,
  codexInstalled,
  codexVersionText,
  makeSandbox,
  type Sandbox,
} from '../test/e2e/support/codex';
import { waitForWorkerIdle } from '../test/e2e/support/connector';
import { conversation, type ModelServer, message, startModelServer } from '../test/e2e/support/model-server';
import { tenCommands } from '../test/e2e/support/turns';
import { startWorld, type World } from '../test/e2e/support/world';
import { type Accounted, accounted, METHOD } from './support/cpu-accounting';
import { type Estimate, median, medianWithInterval } from './support/stats';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const CAPTURE = process.env.BENCH_CAPTURE === 'full' ? 'full' : 'lean';
const SHORT = process.env.BENCH_TURN === 'message';
const TURN = SHORT ? 'one-message' : '10-command';
/** Issue 25's goals (printed, never asserted). */
const CPU_GOAL_MS = 130;
const LAST_EXIT_GOAL_MS = 1_000;
const NONE = 'no hooks';

interface Sample {
  round: number;
  run: Accounted;
  workers: WorkerTiming[];
  traces: number;
}

interface Config {
  name: string;
  sandbox: Sandbox;
  model: ModelServer;
  world?: World;
  timingLog?: string;
  samples: Sample[];
}

if (!codexInstalled()) {
  process.stdout.write('Codex is not installed: run `node scripts/e2e-install-codex.mjs` first. Skipped.\n');
  process.exit(0);
}
if (METHOD === 'none') {
  process.stdout.write('No cgroup v2 and no /proc here: CPU cannot be counted. Skipped.\n');
  process.exit(0);
}

/** Makes the project a git repository with 200 committed files. */
function gitProject(sandbox: Sandbox): void {
  for (let i = 0; i < 200; i += 1) {
    mkdirSync(join(sandbox.project, `src${i % 10}`), { recursive: true });
    writeFileSync(join(sandbox.project, `src${i % 10}`, `file${i}.txt`), `line ${i}\n`.repeat(20));
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], {
      cwd: sandbox.project,
      env: { ...sandbox.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      stdio: 'ignore',
    });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'start');
}

async function noHooks(): Promise<Config> {
  const model = await startModelServer();
  const sandbox = makeSandbox({ modelUrl: model.url });
  gitProject(sandbox);
  return { name: NONE, sandbox, model, samples: [] };
}

type Backend = 'healthy' | 'slow 2 s' | 'down';

async function ours(
  name: string,
  backend: Backend,
  evaluations: boolean,
  extraEnv: Record<string, string> = {},
): Promise<Config> {
  const world = await startWorld({ capture: CAPTURE });
  gitProject(world.sandbox);
  Object.assign(world.sandbox.env, extraEnv);
  const timingLog = join(world.sandbox.root, 'timing.jsonl');
  world.sandbox.env.INFINIUM_CODEX_BENCH_TIMING = timingLog;
  // Maestro's evaluation: not ready at the first poll (3 s after the send), ready at the second.
  world.standIn.evaluations.notReadyPolls = 1;
  if (evaluations) delete world.sandbox.env.INFINIUM_CODEX_EVALUATION_WAIT_SECONDS;
  // The worker waits for the session's next event as shipped (the e2e sandbox turns that off).
  delete world.sandbox.env.INFINIUM_CODEX_WORKER_IDLE_SECONDS;
  if (backend === 'slow 2 s') world.standIn.goDown({ kind: 'slow', delayMs: 2_000 });
  if (backend === 'down') world.standIn.goDown({ kind: 'drop' });
  return { name, sandbox: world.sandbox, model: world.model, world, timingLog, samples: [] };
}

const configs: Config[] = [await noHooks()];
const wanted: [string, Backend, boolean][] = [
  ['healthy, evaluations polled', 'healthy', true],
  ['healthy, evaluation polling off', 'healthy', false],
  ['slow 2 s, evaluations polled', 'slow 2 s', true],
  ['down', 'down', true],
];
for (const [name, backend, evaluations] of wanted) {
  if (!ONLY || ONLY.test(name)) configs.push(await ours(name, backend, evaluations));
}
const EXTRA_ENV = process.env.BENCH_EXTRA_ENV?.trim();
if (EXTRA_ENV) {
  const extra = Object.fromEntries(
    EXTRA_ENV.split(/\s+/).map((pair) => [
      pair.slice(0, pair.indexOf('=')),
      pair.slice(pair.indexOf('=') + 1),
    ]),
  );
  configs.push(await ours(`healthy, evaluations polled, ${EXTRA_ENV}`, 'healthy', true, extra));
}

let turns = 0;
async function turn(config: Config, round: number): Promise<void> {
  const marker = `t${turns++}`;
  config.model.setScript(
    conversation(
      SHORT
        ? [{ items: [message(`Nothing to run (${marker}).`)], usage: { input: 1000, output: 8 } }]
        : tenCommands(marker),
    ),
  );
  if (config.timingLog) writeFileSync(config.timingLog, '');
  const before = config.world?.standIn.traces.length ?? 0;
  const run = await accounted(
    codexBinary(),
    [
      'exec',
      '--skip-git-repo-check',
      '--json',
      SHORT ? `Say hello (${marker}).` : `Run ten commands (${marker}).`,
    ],
    { cwd: config.sandbox.project, env: config.sandbox.env },
  );
  if (run.code !== 0) throw new Error(`${config.name}: codex exited ${run.code}\n${run.stderr}`);
  const workers = config.timingLog
    ? readFileSync(config.timingLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as WorkerTiming)
    : [];
  const traces = (config.world?.standIn.traces.length ?? 0) - before;
  config.samples.push({ round, run, workers, traces });
  // Nothing may carry over into the next turn (a turn still in the spool, a worker still at work).
  if (config.world) await waitForWorkerIdle(config.sandbox, 120_000);
}

/** A bare Node start at the worker's niceness, counted the same way. */
const nodeStarts: number[] = [];
async function bareNode(): Promise<void> {
  const run = await accounted('nice', ['-n', '10', process.execPath, '-e', '0'], {
    cwd: configs[0]?.sandbox.root ?? '/',
    env: { PATH: process.env.PATH },
  });
  nodeStarts.push(run.cpuMs);
}

const loads: number[] = [loadavg()[0] as number];
process.stdout.write(
  `${configs.length} configurations, ${ROUNDS} rounds, CPU by ${METHOD}; load ${loads[0]?.toFixed(2)}\n`,
);
for (const config of configs) await turn(config, -1); // warm-up: first runs pay for cold caches
for (const config of configs) config.samples.length = 0;
for (let round = 0; round < ROUNDS; round += 1) {
  for (const config of [...configs].sort(() => Math.random() - 0.5)) await turn(config, round);
  await bareNode();
  loads.push(loadavg()[0] as number);
}
if (process.env.BENCH_JSON)
  writeFileSync(
    process.env.BENCH_JSON,
    JSON.stringify({ configs: configs.map(({ name, samples }) => ({ name, samples })), nodeStarts }),
  );
for (const config of configs) {
  await config.world?.close();
  if (!config.world) {
    await config.model.close();
    rmSync(config.sandbox.root, { recursive: true, force: true });
  }
}

// ---- figures

const out = (text: string) => process.stdout.write(text);
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : '-');
const withInterval = (estimate: Estimate) =>
  `${ms(estimate.value)} [${ms(estimate.low)}, ${ms(estimate.high)}]`;
const line = (cells: string[], widths: number[]) =>
  `${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('')}\n`;
const none = configs[0] as Config;
/** f(sample, the no-hooks sample of the same round), one value per round. */
const paired = (config: Config, f: (x: Sample, y: Sample) => number) =>
  config.samples.flatMap((x) => {
    const y = none.samples.find((sample) => sample.round === x.round);
    return y ? [[f(x, y)]] : [];
  });
const each = (config: Config, f: (x: Sample) => number) => config.samples.map((x) => [f(x)]);
const workerCpu = (w: WorkerTiming) => w.cpuMs + w.childrenCpuMs;
const ourCpu = (x: Sample) => x.workers.reduce((sum, w) => sum + workerCpu(w), 0);
/** From the last trace's send to the last process's exit. */
const afterSend = (x: Sample) => {
  const sent = Math.max(...x.workers.flatMap((w) => w.sentAtMs));
  return Number.isFinite(sent) ? x.run.lastExitedAtMs - sent : Number.NaN;
};
const nodeStart = median(nodeStarts);

out(
  `\nreal Codex ${codexVersionText()}, one ${TURN} turn per \`codex exec\`, ${CAPTURE} capture; ${ROUNDS} ` +
    `rounds; CPU by ${METHOD}; load (1-min average) ${Math.min(...loads).toFixed(1)}-` +
    `${Math.max(...loads).toFixed(1)}; bare Node start ${ms(nodeStart)} ms CPU\n`,
);
out('\nPer turn, ms: median [95% interval over rounds]; "added" is over no hooks in the same round\n');
const widths = [34, 8, 22, 8, 22, 24, 22, 8];
out(
  line(
    [
      'configuration',
      'wall',
      'wall added',
      'CPU',
      'CPU added',
      'last exit after codex',
      'after trace sent',
      'traces',
    ],
    widths,
  ),
);
for (const config of configs) {
  const isNone = config === none;
  out(
    line(
      [
        config.name,
        ms(median(config.samples.map((x) => x.run.wallMs))),
        isNone ? '' : withInterval(medianWithInterval(paired(config, (x, y) => x.run.wallMs - y.run.wallMs))),
        ms(median(config.samples.map((x) => x.run.cpuMs))),
        isNone ? '' : withInterval(medianWithInterval(paired(config, (x, y) => x.run.cpuMs - y.run.cpuMs))),
        withInterval(medianWithInterval(each(config, (x) => x.run.lastExitedAtMs - x.run.exitedAtMs))),
        isNone ? '' : withInterval(medianWithInterval(each(config, afterSend))),
        isNone ? '' : config.samples.map((x) => x.traces).join(''),
      ],
      widths,
    ),
  );
}

const PHASES = [
  'lock',
  'git evidence',
  'keyring',
  'rollout read',
  'build',
  'redaction',
  'send',
  'evaluations',
];
out(
  '\nWhere our CPU goes, ms per turn (medians): worker processes (the one that sent the trace, the others ' +
    'started for the same turn), their children (keyring helpers), and the rest of what we add over no ' +
    'hooks (hooks, and Codex running them); inside the workers: start (to the entry, else a bare Node start), ' +
    'module load, phases, ' +
    'the rest (spool, locks, heartbeat threads, exit)\n',
);
const splitWidths = [34, 9, 8, 8, 9, 8, 7, 7, ...PHASES.map((name) => Math.max(name.length + 2, 8)), 7];
out(
  line(
    ['configuration', 'workers', 'sender', 'others', 'helpers', 'hooks+', 'start', 'load', ...PHASES, 'rest'],
    splitWidths,
  ),
);
for (const config of configs.filter((c) => c !== none)) {
  const m = (f: (x: Sample) => number) => ms(median(config.samples.map(f)));
  const sender = (x: Sample) => x.workers.find((w) => w.sentAtMs.length > 0);
  const phase = (x: Sample, name: string) => x.workers.reduce((sum, w) => sum + (w.phases[name] ?? 0), 0);
  // A worker's start: up to its entry (when it says) or a bare Node start; its load: on to its own code.
  const start = (w: WorkerTiming) => Math.min(w.cpuMs, w.startedCpuMs ?? nodeStart);
  const loaded = (w: WorkerTiming) => Math.max(start(w), w.loadedCpuMs);
  const perWorker = (f: (w: WorkerTiming) => number) => (x: Sample) =>
    x.workers.reduce((sum, w) => sum + f(w), 0);
  // The lock is taken before the rest is loaded; the trace side is loaded (phase `load`) when first needed.
  const early = (w: WorkerTiming) => w.phasesBeforeLoadMs ?? 0;
  const load = perWorker((w) => loaded(w) - start(w) - early(w) + (w.phases.load ?? 0));
  const rest = perWorker(
    (w) => w.cpuMs - loaded(w) - Object.values(w.phases).reduce((a, b) => a + b, 0) + early(w),
  );
  const added = (x: Sample) => {
    const y = none.samples.find((sample) => sample.round === x.round);
    return y ? x.run.cpuMs - y.run.cpuMs : Number.NaN;
  };
  out(
    line(
      [
        config.name,
        m((x) => x.workers.length),
        m((x) => {
          const w = sender(x);
          return w ? w.cpuMs : 0;
        }),
        m((x) => x.workers.filter((w) => w !== sender(x)).reduce((sum, w) => sum + w.cpuMs, 0)),
        m((x) => x.workers.reduce((sum, w) => sum + w.childrenCpuMs, 0)),
        m((x) => added(x) - ourCpu(x)),
        m(perWorker(start)),
        m(load),
        ...PHASES.map((name) => m((x) => phase(x, name))),
        m(rest),
      ],
      splitWidths,
    ),
  );
}

const healthy = configs.find((c) => c.name === 'healthy, evaluations polled');
const quiet = configs.find((c) => c.name === 'healthy, evaluation polling off');
out('\nGoals (issue 25), printed, not asserted:\n');
if (healthy) {
  const cpu = medianWithInterval(paired(healthy, (x, y) => x.run.cpuMs - y.run.cpuMs));
  out(
    `  CPU added per turn, background included, <= ${CPU_GOAL_MS} ms: ${withInterval(cpu)} (healthy, evaluations polled)\n`,
  );
}
if (quiet) {
  const after = medianWithInterval(each(quiet, afterSend));
  out(
    `  last process ends <= ${LAST_EXIT_GOAL_MS} ms after the trace is sent, no evaluation pending: ${withInterval(after)}\n`,
  );
}
for (const config of configs.filter((c) => c !== none)) {
  const wall = medianWithInterval(paired(config, (x, y) => x.run.wallMs - y.run.wallMs));
  out(`  wall time added (${config.name}): ${withInterval(wall)}\n`);
}
