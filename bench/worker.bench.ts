// The worker's trace-building cost (product.md targets: a 1,000-tool-call turn in < 200 ms, peak memory
// < 100 MB, a turn at the end of a 200 MB rollout costing what one at its start costs). Each figure comes
// from a fresh child process running this file bundled by esbuild (as the worker ships: no TypeScript
// loader in memory), so peak RSS is that case's own; rollouts are generated in a temp dir.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyState, type RolloutCursor, RolloutScanner } from '../src/codex/rollout-reader';
import type { ResolvedConfig } from '../src/config/settings';
import type { TaskData } from '../src/infinium/task-data';
import { buildTurnTrace, type TraceOptions, type TurnTraceInput } from '../src/trace/build';
import type { ClosedTurn, ComposeContext } from '../src/worker/closed-turn';
import { composeTurnTrace } from '../src/worker/compose';
import { turnGitEvidence } from '../src/worker/evidence';
import { RolloutWriter } from '../test/unit/codex/rollout-writer';
import { median } from './support/stats';

const SESSION = '01a20000-0000-7000-8000-0000000000be';

const config: ResolvedConfig = {
  agentId: '00000000-0000-4000-8000-000000000001',
  baseUrl: 'http://127.0.0.1:1',
  granularity: 'turn',
  contentMode: 'redacted',
  redactPatterns: [],
  projectRoot: null,
  projectName: 'bench',
  source: 'project',
};
const ctx: ComposeContext = {
  config,
  capture: 'lean',
  nowMs: Date.parse('2026-11-25T12:00:00Z'),
  rolloutSettleMs: 0,
};

function rolloutPath(home: string): string {
  const dir = join(home, 'sessions/2026/11/25');
  mkdirSync(dir, { recursive: true });
  return join(dir, `rollout-2026-11-25T10-00-00-${SESSION}.jsonl`);
}

/** A command's output: a few dozen lines of the kind `ls`, `grep` and test runners print. */
function output(i: number, lines: number): string {
  let text = '';
  for (let line = 0; line < lines; line += 1) {
    text += `src/module-${i % 97}/file-${line}.ts:${line + 1}: const value${line} = compute(${i}, ${line}); // ok\n`;
  }
  return text;
}

function writeTurn(w: RolloutWriter, turnId: string, calls: number, outputLines: number): void {
  w.startTurn(turnId, `Turn ${turnId}: run the checks and fix what fails`);
  for (let i = 0; i < calls; i += 1) {
    w.exec(turnId, `${turnId}-call-${i}`, `grep -rn "value${i}" src/ | head -n ${outputLines}`, {
      output: output(i, outputLines),
      exitCode: i % 10 === 0 ? 1 : 0,
      durationMs: 40,
    });
    w.usage(turnId, `${turnId}-resp-${i}`, { input: 12_000 + i, cached: 10_000, output: 150, reasoning: 40 });
  }
  w.agentMessage(turnId, `Finished ${turnId}.`).complete(turnId, 60_000, `Finished ${turnId}.`);
}

function closedTurn(path: string, turnId: string, turnNumber: number): ClosedTurn {
  const payload = { session_id: SESSION, transcript_path: path, cwd: '/home/dev/project', turn_id: turnId };
  return {
    sessionId: SESSION,
    turnId,
    cwd: '/home/dev/project',
    transcriptPath: path,
    events: [
      {
        event: 'UserPromptSubmit',
        arrivedAtMs: 0,
        payload: { ...payload, hook_event_name: 'UserPromptSubmit', prompt: `Turn ${turnId}` },
      },
      { event: 'Stop', arrivedAtMs: 60_000, payload: { ...payload, hook_event_name: 'Stop' } },
    ],
    ending: 'stop',
    turnNumber,
  };
}

async function writeLines(path: string, produce: (write: (text: string) => Promise<void>) => Promise<void>) {
  const stream = createWriteStream(path);
  const write = (text: string) =>
    new Promise<void>((resolve) => {
      if (stream.write(text)) resolve();
      else stream.once('drain', () => resolve());
    });
  await produce(write);
  await new Promise<void>((resolve) => stream.end(resolve));
}

interface Measure {
  ms: number;
  /** CPU time (user + system): what the work costs even when other processes share the cores. */
  cpuMs: number;
  maxRssMb: number;
  steps: number;
  cursor?: RolloutCursor;
}

/** Runs one compose in this (child) process and prints its figures as JSON. */
async function child(kind: string, path: string, turnId: string, cursorJson: string): Promise<void> {
  const cursor = cursorJson ? (JSON.parse(cursorJson) as RolloutCursor) : undefined;
  // 'build': the pure builder alone (redaction, limits, steps), on the turn read beforehand.
  const scanner = new RolloutScanner(path, emptyState(), { turnIds: [turnId] });
  if (kind === 'build') await scanner.readMore();
  const started = performance.now();
  const cpu = process.cpuUsage();
  let result: { taskData: TaskData; cursor?: RolloutCursor } | undefined;
  if (kind === 'turn') result = await composeTurnTrace(closedTurn(path, turnId, 1), ctx, cursor);
  if (kind === 'build') result = { taskData: buildTurnTrace(builderInput(scanner), traceOptions) };
  const cpuUsed = process.cpuUsage(cpu);
  const measure: Measure = {
    ms: performance.now() - started,
    cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    steps: result?.taskData.steps?.length ?? 0,
    cursor: result?.cursor,
  };
  process.stdout.write(JSON.stringify(measure));
}

const traceOptions: TraceOptions = {
  contentMode: 'redacted',
  redactPatterns: [],
  capture: 'lean',
  nowMs: ctx.nowMs,
};

function builderInput(scanner: RolloutScanner): TurnTraceInput {
  const turn = scanner.turns[0];
  if (!turn) throw new Error('bench turn not found in its rollout');
  return {
    sessionId: SESSION,
    turnId: turn.turnId ?? null,
    turnNumber: 1,
    ending: 'stop',
    events: [],
    rollout: { records: turn.records, ended: turn.ended, session: scanner.stateNow.session },
    rolloutMissing: false,
    subagents: [],
    environment: { project: 'bench' },
  };
}

let bundle = '';

function run(kind: string, path: string, turnId: string, cursor?: RolloutCursor): Measure {
  const result = spawnSync(
    process.execPath,
    [bundle, 'child', kind, path, turnId, cursor ? JSON.stringify(cursor) : ''],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (result.status !== 0) throw new Error(`bench child failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Measure;
}

const fmt = (n: number) => n.toFixed(1);

/** One line of figures for runs of the same case: medians of wall time, CPU time and peak RSS. */
function figures(runs: Measure[]): string {
  return (
    `wall median ${fmt(median(runs.map((r) => r.ms)))} ms (${runs.map((r) => fmt(r.ms)).join(', ')}), ` +
    `CPU median ${fmt(median(runs.map((r) => r.cpuMs)))} ms, peak RSS ${fmt(median(runs.map((r) => r.maxRssMb)))} MB`
  );
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'bench-worker-'));
  try {
    bundle = join(home, 'worker-bench.mjs');
    // Loaded here only: the children run the bundle without esbuild in memory.
    const { build } = await import('esbuild');
    await build({
      entryPoints: [import.meta.filename],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      external: ['esbuild'],
      logLevel: 'warning',
    });
    const idle = run('idle', '', '');
    console.log(`node with the compose bundle loaded, no work: peak RSS ${fmt(idle.maxRssMb)} MB`);

    // 1,000 tool calls in one turn (each output ~30 lines, ~2.5 KB).
    const thousand = rolloutPath(join(home, 'thousand'));
    const w = new RolloutWriter(SESSION).sessionMeta();
    writeTurn(w, 'turn-1000', 1000, 30);
    await writeLines(thousand, async (write) => write(w.text()));
    const runs = Array.from({ length: 5 }, () => run('turn', thousand, 'turn-1000'));
    const builds = Array.from({ length: 5 }, () => run('build', thousand, 'turn-1000'));
    console.log(
      `1,000-tool-call turn (rollout ${fmt(statSync(thousand).size / 1e6)} MB, ${runs[0]?.steps} steps), ` +
        `read + build + redact + fit, fresh process: ${figures(runs)}   [targets: < 200 ms, < 100 MB]`,
    );
    console.log(`  of which the pure builder (steps, redaction, limits): ${figures(builds)}`);

    // A 200 MB session of 20-call turns.
    const big = rolloutPath(join(home, 'big'));
    const turns: string[] = [];
    await writeLines(big, async (write) => {
      await write(new RolloutWriter(SESSION).sessionMeta().text());
      let bytes = 0;
      for (let t = 0; bytes < 200e6; t += 1) {
        const turn = new RolloutWriter(SESSION, Date.parse('2026-11-25T10:00:00Z') + t * 60_000);
        writeTurn(turn, `turn-${t}`, 20, 60);
        const text = turn.text();
        bytes += text.length;
        turns.push(`turn-${t}`);
        await write(text);
      }
    });
    const first = turns[0] as string;
    const last = turns.at(-1) as string;
    // The worker's cursor after the turn before the last: got by composing that turn once (a full scan).
    const scan = run('turn', big, turns.at(-2) as string);
    const atStart = Array.from({ length: 3 }, () => run('turn', big, first));
    const atEnd = Array.from({ length: 3 }, () => run('turn', big, last, scan.cursor));
    const noCursor = Array.from({ length: 3 }, () => run('turn', big, last));
    console.log(`${fmt(statSync(big).size / 1e6)} MB rollout, ${turns.length} turns of 20 calls:`);
    console.log(`  first turn:                               ${figures(atStart)}`);
    console.log(`  last turn, from the previous turn's cursor: ${figures(atEnd)}`);
    console.log(`  last turn, no cursor (a lost cursor: full scan): ${figures(noCursor)}`);

    await evidenceCost(home);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** CPU time of this process's waited-for children so far (ms): the git processes evidence runs. */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  // cutime and cstime (fields 16 and 17 of stat; 14 and 15 after the name), in clock ticks of 10 ms.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/**
 * What outcome evidence adds to a turn on a 10,000-file repository: the turn's end snapshot (through our
 * temporary index) and its comparison with the start, as compose runs them; and proof that the user's
 * index is neither rewritten nor left locked (so their `git status` sees what it saw).
 */
async function evidenceCost(home: string): Promise<void> {
  const repo = join(home, 'repo10k');
  for (let d = 0; d < 100; d += 1) {
    mkdirSync(join(repo, `src/m${d}`), { recursive: true });
    for (let f = 0; f < 100; f += 1)
      writeFileSync(join(repo, `src/m${d}/f${f}.ts`), `export const v${f} = ${d};\n`);
  }
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home } });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=b@example.com', '-c', 'user.name=bench', 'add', '-A');
  git('-c', 'user.email=b@example.com', '-c', 'user.name=bench', 'commit', '-q', '-m', 'init');
  const env = { ...process.env, INFINIUM_CODEX_HOME: join(home, 'state') };
  const index = join(repo, '.git/index');
  const userIndex = () => ({
    bytes: readFileSync(index).toString('base64'),
    mtimeMs: statSync(index).mtimeMs,
  });
  const before = userIndex();
  const statusStarted = performance.now();
  git('--no-optional-locks', 'status', '--porcelain');
  const statusMs = performance.now() - statusStarted;

  const measure = async (turn: string) => {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    const children = childrenCpuMs();
    const evidence = await turnGitEvidence(env, 'bench-session', turn, repo);
    const used = process.cpuUsage(cpu);
    // The first has nothing before it to compare with: it is the snapshot alone.
    if (!evidence.available && turn !== 'start') throw new Error(`no evidence: ${evidence.reason}`);
    return {
      ms: performance.now() - wall,
      cpuMs: (used.user + used.system) / 1000 + (childrenCpuMs() - children),
    };
  };
  // The session's start snapshot (SessionStart's worker): seeds our index from a copy of the user's.
  const start = await measure('start');
  const turns = [];
  for (let t = 0; t < 7; t += 1) {
    writeFileSync(join(repo, `src/m${t}/f0.ts`), `export const v0 = ${t + 1000};\n`);
    writeFileSync(join(repo, `src/new${t}.ts`), 'export {};\n');
    turns.push(await measure(`t${t}`));
  }
  const after = userIndex();
  console.log(
    `outcome evidence, 10,000-file repository (git status there: ${fmt(statusMs)} ms): the first snapshot of a ` +
      `session ${fmt(start.ms)} ms (CPU ${fmt(start.cpuMs)} ms, git included)`,
  );
  console.log(
    `  per turn (end snapshot + comparison, 2 files changed each): wall median ${fmt(median(turns.map((t) => t.ms)))} ms ` +
      `(${turns.map((t) => fmt(t.ms)).join(', ')}), CPU median ${fmt(median(turns.map((t) => t.cpuMs)))} ms   [goal: < 150 ms]`,
  );
  console.log(
    `  the user's index: ${after.bytes === before.bytes && after.mtimeMs === before.mtimeMs ? 'not rewritten' : 'REWRITTEN'}, ` +
      `${existsSync(`${index}.lock`) ? 'index.lock LEFT' : 'no index.lock left'}`,
  );
}

if (process.argv[2] === 'child') {
  await child(
    process.argv[3] as string,
    process.argv[4] as string,
    process.argv[5] as string,
    process.argv[6] ?? '',
  );
} else {
  await main();
}
