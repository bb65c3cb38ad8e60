// Issues 6 (scenario 14) and 16: what our hooks add to a real Codex turn. A scripted 10-command turn in
// real `codex exec` sessions with no hooks, with bare `cat` hooks on the full-mode events (what any hook
// costs Codex), and with our hooks installed by our own `init`, lean and full, per hook front-end `init`
// offers, while Infinium is healthy, answers after 2 s, or is down.
//
// Whole turns are too noisy on a shared 2-core machine (one turn with no hooks took 3.6-4.9 s), so the
// figures come from Codex itself: it exports an OpenTelemetry span per hook command it runs
// (bench/support/codex-spans.ts), timed from the spawn until the hook has exited, on the agent's critical
// path. Per `codex exec` the bench sums them (in the turn: UserPromptSubmit, PreToolUse, PostToolUse,
// Stop; around it: SessionStart, SessionEnd). The spans that wrap a hook run (the tool call's dispatch, the
// Stop and SessionStart hook steps) took as long without hooks as with `cat` hooks less their hook spans
// (within 1 ms, Codex 0.171, 4 turns each): a hook adds its span to the turn and no more, so ours over `cat`
// by spans is ours over `cat` by what they add.
//
// Each round runs one session of three turns per configuration of ours, in a shuffled order, and a
// session of each baseline (no hooks, `cat`) before every 4 of ours. A session is a fresh `codex exec`,
// then two `codex exec resume --last`: one started the moment the previous one exits (our worker, started
// by that turn's Stop, still at work: "busy"), one after the worker is idle ("quiet"), in alternating
// order. A comparison pairs each sample with the baseline's sample of the same slot nearest in time, so
// both met about the same machine load, and gives the median of the per-pair differences or ratios with a
// 95% bootstrap interval that resamples whole sessions (the turns of a session met the same minute's load,
// so they are not independent: the interval narrows with more rounds, not with more turns); a target is
// met when the whole interval is within it, refuted when the whole interval is beyond it, else undecided.
// Asserts nothing.
// Run: npm run bench -- e2e-overhead   (BENCH_ROUNDS=n, default 2, about 4-5 min a round with 14
// configurations; BENCH_ONLY=<regex> keeps the configurations whose name matches, plus the baselines;
// BENCH_JSON=<file> also writes every sample there)
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  codexExec,
  codexInstalled,
  codexVersionText,
  makeSandbox,
  type Sandbox,
} from '../test/e2e/support/codex';
import { BIN, listFiles, waitForWorkerIdle } from '../test/e2e/support/connector';
import { conversation, startModelServer } from '../test/e2e/support/model-server';
import { type HooksFile, trustEntries, trustToml } from '../test/e2e/support/trust';
import { tenCommands } from '../test/e2e/support/turns';
import { startWorld } from '../test/e2e/support/world';
import { type HookRun, hookRuns, type Span, startSpanCollector } from './support/codex-spans';
import { type Estimate, median, medianWithInterval, quantile, verdict } from './support/stats';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const CAT_EVENTS = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd'];
/** Hooks Codex runs inside the turn (task_complete.duration_ms holds them) and around it. */
const TURN_EVENTS = new Set(['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop']);
const SESSION_EVENTS = new Set(['SessionStart', 'SessionEnd']);
/** Issue 16's targets. */
const FULL_LIMIT = 1.1;
/** A session of each baseline runs before every this many sessions of ours, so a pair is close in time. */
const BASELINES_EVERY = 4;
const LEAN_LIMIT_MS = 60;

type Slot = 'first' | 'busy' | 'quiet';

interface Sample {
  /** Which session (numbered through the run) and when its turn started (epoch ms). */
  session: number;
  at: number;
  slot: Slot;
  wallMs: number;
  turnMs: number;
  hooks: HookRun[];
  /** Quiet slot: how long the previous turn's worker was still at work after its `codex exec` exited. */
  workerMs?: number;
}

interface Config {
  name: string;
  /** Runs one turn: a fresh session, or the next turn of the latest one. */
  turn(marker: string, resume: boolean): Promise<{ wallMs: number; turnMs: number }>;
  /** Waits until our worker has nothing left to do (nothing for the baselines). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** task_complete.duration_ms of the latest turn in the newest rollout. */
function lastTurnMs(sandbox: Sandbox): number {
  const sessions = join(sandbox.codexHome, 'sessions');
  const newest = listFiles(sessions)
    .filter((name) => name.endsWith('.jsonl'))
    .map((name) => join(sessions, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (!newest) throw new Error(`no rollout under ${sessions}`);
  for (const line of readFileSync(newest, 'utf8').trim().split('\n').reverse()) {
    const record = JSON.parse(line) as { type?: string; payload?: { type?: string; duration_ms?: number } };
    if (record.type === 'event_msg' && record.payload?.type === 'task_complete') {
      return record.payload.duration_ms ?? Number.NaN;
    }
  }
  throw new Error(`no task_complete in ${newest}`);
}

const script = (marker: string) => conversation(tenCommands(marker));

async function plainConfig(name: string, hooks: boolean, otel: string): Promise<Config> {
  const model = await startModelServer();
  const sandbox: Sandbox = makeSandbox({ modelUrl: model.url, tables: otel });
  if (hooks) {
    const file: HooksFile = { hooks: {} };
    for (const event of CAT_EVENTS) {
      file.hooks[event] = [{ hooks: [{ type: 'command', command: 'cat >/dev/null', timeout: 3 }] }];
    }
    const hooksPath = join(sandbox.codexHome, 'hooks.json');
    writeFileSync(hooksPath, JSON.stringify(file));
    const configPath = join(sandbox.codexHome, 'config.toml');
    writeFileSync(
      configPath,
      `${readFileSync(configPath, 'utf8')}\n${trustToml(trustEntries(hooksPath, file))}`,
    );
  }
  return {
    name,
    async turn(marker, resume) {
      model.setScript(script(marker));
      const result = await codexExec('Run ten commands.', { sandbox, resume });
      if (result.code !== 0) throw new Error(`${name}: codex exited ${result.code}\n${result.stderr}`);
      return { wallMs: result.wallMs, turnMs: lastTurnMs(sandbox) };
    },
    idle: async () => {},
    async close() {
      await model.close();
      rmSync(sandbox.root, { recursive: true, force: true });
    },
  };
}

type Infinium = 'healthy' | 'slow 2 s' | 'down';

/** Which front-end the hooks.json `init` wrote runs for Stop: what a configuration really measured. */
function installedFrontEnd(sandbox: Sandbox): string {
  const file = JSON.parse(readFileSync(join(sandbox.codexHome, 'hooks.json'), 'utf8')) as HooksFile;
  const command = file.hooks.Stop?.flatMap((group) => group.hooks).at(-1)?.command ?? '';
  if (command.includes('hook.sh')) return 'sh';
  if (command.includes('infinium-codex-hook')) return 'native';
  return command.includes('bin.cjs') ? 'node' : 'unknown';
}

/**
 * Our hooks as `init` installs them. `frontEnd` undefined: init offers no choice, and installs hook.sh.
 * The name says what hooks.json really runs; a front-end other than the one asked for is an error.
 */
async function ourConfig(
  name: string,
  capture: 'lean' | 'full',
  frontEnd: 'native' | 'sh' | undefined,
  infinium: Infinium,
  otel: string,
): Promise<Config> {
  const world = await startWorld({ capture, frontEnd, tables: otel });
  // The worker waits for the session's next event as shipped (the e2e sandbox turns that off).
  delete world.sandbox.env.INFINIUM_CODEX_WORKER_IDLE_SECONDS;
  const installed = installedFrontEnd(world.sandbox);
  if (installed !== (frontEnd ?? 'sh')) {
    await world.close();
    throw new Error(`${name}: init installed hooks that run the ${installed} front-end`);
  }
  if (infinium === 'slow 2 s') world.standIn.goDown({ kind: 'slow', delayMs: 2_000 });
  if (infinium === 'down') world.standIn.goDown({ kind: 'drop' });
  return {
    name,
    async turn(marker, resume) {
      const result = await world.exec('Run ten commands.', script(marker), { resume });
      return { wallMs: result.wallMs, turnMs: lastTurnMs(world.sandbox) };
    },
    idle: () => waitForWorkerIdle(world.sandbox, 60_000),
    close: () => world.close(),
  };
}

/** The front-ends to compare: both when our `init` offers `--front-end` (its help says so). */
function frontEndChoices(): ('native' | 'sh' | undefined)[] {
  const help = spawnSync(process.execPath, [BIN, 'init', '--help'], { encoding: 'utf8' }).stdout ?? '';
  return help.includes('--front-end') ? ['sh', 'native'] : [undefined];
}

if (!codexInstalled()) {
  process.stdout.write('Codex is not installed: run `node scripts/e2e-install-codex.mjs` first. Skipped.\n');
  process.exit(0);
}

const collector = await startSpanCollector();
const NONE = 'no hooks';
const CAT = 'bare `cat` hooks';
const configs: Config[] = [
  await plainConfig(NONE, false, collector.configTable),
  await plainConfig(CAT, true, collector.configTable),
];
for (const frontEnd of frontEndChoices()) {
  for (const capture of ['lean', 'full'] as const) {
    for (const infinium of ['healthy', 'slow 2 s', 'down'] as const) {
      const name = `${capture} ${frontEnd ?? 'sh'}, Infinium ${infinium}`;
      if (!ONLY || ONLY.test(name))
        configs.push(await ourConfig(name, capture, frontEnd, infinium, collector.configTable));
    }
  }
}

/** The 1-minute load average at the start and after each round: how busy the machine was. */
const loads: number[] = [loadavg()[0] as number];
const samples = new Map<string, Sample[]>(configs.map((config) => [config.name, []]));
let sessions = 0;

/** One session of three turns; the spans are told apart by when each `codex exec` ran. */
async function session(config: Config): Promise<void> {
  const id = sessions++;
  const windows: (Omit<Sample, 'session' | 'hooks'> & { to: number })[] = [];
  const turn = async (slot: Slot, resume: boolean, workerMs?: number) => {
    const at = Date.now();
    const { wallMs, turnMs } = await config.turn(`s${id}${slot}`, resume);
    windows.push({ slot, at, to: Date.now(), wallMs, turnMs, workerMs });
  };
  await turn('first', false);
  const order: Slot[] = id % 2 === 0 ? ['busy', 'quiet'] : ['quiet', 'busy'];
  for (const slot of order) {
    if (slot === 'busy') await turn(slot, true);
    else {
      const waitFrom = performance.now();
      await config.idle();
      await turn(slot, true, performance.now() - waitFrom);
    }
  }
  await config.idle();
  const spans: Span[] = await collector.take();
  for (const { to, ...window } of windows) {
    const inside = spans.filter((span) => span.startMs >= window.at && span.startMs <= to);
    samples.get(config.name)?.push({ session: id, ...window, hooks: hookRuns(inside) });
  }
}

const [none, cat, ...ours] = configs as [Config, Config, ...Config[]];
process.stdout.write(
  `${configs.length} configurations, ${ROUNDS} rounds of one 3-turn session each (the baselines' before every ` +
    `${BASELINES_EVERY} of ours); load ${loads[0]?.toFixed(2)}\n`,
);
for (const config of configs) {
  // warm-up: first runs pay for cold caches
  await config.turn('warm', false);
  await config.idle();
}
await collector.take();
for (let round = 0; round < ROUNDS; round += 1) {
  const order = [...ours].sort(() => Math.random() - 0.5);
  for (let group = 0; group * BASELINES_EVERY < Math.max(order.length, 1); group += 1) {
    for (const baseline of (round + group) % 2 === 0 ? [none, cat] : [cat, none]) await session(baseline);
    for (const config of order.slice(group * BASELINES_EVERY, (group + 1) * BASELINES_EVERY))
      await session(config);
  }
  loads.push(loadavg()[0] as number);
}
await Promise.all(configs.map((config) => config.close()));
await collector.close();
if (process.env.BENCH_JSON)
  writeFileSync(process.env.BENCH_JSON, JSON.stringify(Object.fromEntries(samples)));

// ---- figures

const sum = (runs: HookRun[], events: Set<string>) =>
  runs.filter((run) => events.has(run.event)).reduce((total, run) => total + run.durationMs, 0);
const turnHooks = (sample: Sample) => sum(sample.hooks, TURN_EVENTS);
const sessionHooks = (sample: Sample) => sum(sample.hooks, SESSION_EVENTS);
/** The item of `list` that started nearest in time to `at`. */
function nearest<T extends { at: number }>(list: T[], at: number): T | undefined {
  return list.reduce<T | undefined>(
    (best, item) => (!best || Math.abs(item.at - at) < Math.abs(best.at - at) ? item : best),
    undefined,
  );
}

/** The samples of a configuration grouped by session: the clusters a bootstrap resamples. */
function bySession(name: string): Sample[][] {
  const groups = new Map<number, Sample[]>();
  for (const sample of samples.get(name) ?? [])
    groups.set(sample.session, [...(groups.get(sample.session) ?? []), sample]);
  return [...groups.values()];
}

/**
 * f(x, y) for each sample x of configuration a and y, b's sample of the same slot nearest in time,
 * grouped by a's session.
 */
function paired(a: string, b: string, f: (x: Sample, y: Sample) => number): number[][] {
  const others = samples.get(b) ?? [];
  return bySession(a).map((session) =>
    session.flatMap((x) => {
      const y = nearest(
        others.filter((sample) => sample.slot === x.slot),
        x.at,
      );
      return y ? [f(x, y)] : [];
    }),
  );
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : '-');
const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '-');
const withInterval = (estimate: Estimate, format: (value: number) => string) =>
  `${format(estimate.value)} [${format(estimate.low)}, ${format(estimate.high)}]`;
const line = (cells: string[], widths: number[]) =>
  `${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('')}\n`;
const out = (text: string) => process.stdout.write(text);

const names = configs.map((config) => config.name);
const hookNames = names.filter((name) => name !== NONE);
const stillFailing = names.flatMap((name) =>
  (samples.get(name) ?? []).flatMap((sample) => sample.hooks.filter((run) => run.outcome !== 'completed')),
);

out(
  `\nreal Codex ${codexVersionText()}, 10-command turns; ${ROUNDS} rounds x 3 turns per configuration; ` +
    `load (1-min average) ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} over the run\n`,
);
if (stillFailing.length > 0) out(`!! ${stillFailing.length} hook runs did not complete on their own\n`);

out('\nEach hook run as Codex timed it (span codex.hooks.command), ms: median (p25-p75)\n');
const events = ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'Stop', 'SessionEnd'];
const eventWidths = [36, ...events.map(() => 17)];
out(line(['configuration', ...events], eventWidths));
for (const name of hookNames) {
  const runs = (samples.get(name) ?? []).flatMap((sample) => sample.hooks);
  const cells = events.map((event) => {
    const times = runs.filter((run) => run.event === event).map((run) => run.durationMs);
    return times.length === 0
      ? '-'
      : `${median(times).toFixed(1)} (${quantile(times, 0.25).toFixed(0)}-${quantile(times, 0.75).toFixed(0)})`;
  });
  out(line([name, ...cells], eventWidths));
}

out(
  '\nPer `codex exec`, ms: hooks in the turn and around it (sums of spans), the turn ' +
    '(task_complete.duration_ms) and the wall time; medians, and the turn over no hooks (paired), median ' +
    '[95% interval]\n',
);
const perExecWidths = [36, 10, 10, 8, 8, 24];
out(line(['configuration', 'in turn', 'around', 'turn', 'wall', 'turn - no hooks'], perExecWidths));
for (const name of names) {
  const list = samples.get(name) ?? [];
  const added =
    name === NONE
      ? ''
      : withInterval(medianWithInterval(paired(name, NONE, (x, y) => x.turnMs - y.turnMs)), ms);
  out(
    line(
      [
        name,
        ms(median(list.map(turnHooks))),
        ms(median(list.map(sessionHooks))),
        ms(median(list.map((sample) => sample.turnMs))),
        ms(median(list.map((sample) => sample.wallMs))),
        added,
      ],
      perExecWidths,
    ),
  );
}

out(`\nTarget: full mode within ${FULL_LIMIT}x of bare \`cat\` hooks (hook spans, per pair, median [95%])\n`);
const fullWidths = [36, 26, 26, 12];
out(line(['configuration', 'in the turn', 'whole exec', 'verdict'], fullWidths));
for (const name of names.filter((name) => name.startsWith('full'))) {
  const inTurn = medianWithInterval(paired(name, CAT, (x, y) => turnHooks(x) / turnHooks(y)));
  const whole = medianWithInterval(
    paired(name, CAT, (x, y) => (turnHooks(x) + sessionHooks(x)) / (turnHooks(y) + sessionHooks(y))),
  );
  out(
    line(
      [name, withInterval(inTurn, ratio), withInterval(whole, ratio), verdict(inTurn, FULL_LIMIT)],
      fullWidths,
    ),
  );
}

const LEAN_TURN_EVENTS = new Set(['UserPromptSubmit', 'Stop']);
out(
  `\nTarget: lean mode adds at most ${LEAN_LIMIT_MS} ms a turn; ms, median [95%]: its hooks in the turn ` +
    '(spans), bare `cat` on the same events (paired) and ours over it, the turn over no hooks (paired)\n',
);
const leanWidths = [36, 18, 10, 18, 22, 18, 10];
out(
  line(
    ['configuration', 'hooks', 'verdict', '`cat` same events', 'ours / `cat`', 'turn - no hooks', 'verdict'],
    leanWidths,
  ),
);
for (const name of names.filter((name) => name.startsWith('lean'))) {
  const hooks = medianWithInterval(bySession(name).map((session) => session.map(turnHooks)));
  const cat = medianWithInterval(paired(name, CAT, (_, y) => sum(y.hooks, LEAN_TURN_EVENTS)));
  const over = medianWithInterval(paired(name, CAT, (x, y) => turnHooks(x) / sum(y.hooks, LEAN_TURN_EVENTS)));
  const turn = medianWithInterval(paired(name, NONE, (x, y) => x.turnMs - y.turnMs));
  out(
    line(
      [
        name,
        withInterval(hooks, ms),
        verdict(hooks, LEAN_LIMIT_MS),
        withInterval(cat, ms),
        withInterval(over, ratio),
        withInterval(turn, ms),
        verdict(turn, LEAN_LIMIT_MS),
      ],
      leanWidths,
    ),
  );
}

out(
  '\nThe worker a Stop starts: how long it was still at work after `codex exec` returned, and what it ' +
    'cost the next turn started at once (busy - quiet turn of the same session, over the same for no ' +
    'hooks); ms, median [95%]\n',
);
const workerWidths = [36, 18, 22, 22];
out(line(['configuration', 'at work after', 'next turn', 'next exec (wall)'], workerWidths));
/** busy - quiet of each session of a configuration, for one measure, with when the session started. */
const busyOverQuiet = (name: string, measure: (sample: Sample) => number) =>
  bySession(name).flatMap((session) => {
    const [busy, quiet] = (['busy', 'quiet'] as const).map((slot) => session.find((x) => x.slot === slot));
    return busy && quiet ? [{ at: (session[0] as Sample).at, delta: measure(busy) - measure(quiet) }] : [];
  });
/** busy - quiet of our sessions over that of the nearest session with no hooks. */
const workerCost = (name: string, measure: (sample: Sample) => number) => {
  const base = busyOverQuiet(NONE, measure);
  return medianWithInterval(
    busyOverQuiet(name, measure).map(({ at, delta }) => {
      const other = nearest(base, at);
      return other ? [delta - other.delta] : [];
    }),
  );
};
for (const name of names.filter((name) => name !== NONE && name !== CAT)) {
  const atWork = bySession(name).map((session) =>
    session.flatMap((sample) => (sample.workerMs === undefined ? [] : [sample.workerMs])),
  );
  out(
    line(
      [
        name,
        withInterval(medianWithInterval(atWork), ms),
        withInterval(
          workerCost(name, (sample) => sample.turnMs),
          ms,
        ),
        withInterval(
          workerCost(name, (sample) => sample.wallMs),
          ms,
        ),
      ],
      workerWidths,
    ),
  );
}
