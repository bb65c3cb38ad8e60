// The worker's trace-building cost (product.md targets: a 1,000-tool-call turn in < 200 ms, peak memory
// < 100 MB, a turn at the end of a 200 MB rollout costing what one at its start costs). Each figure comes
// from a fresh child process so peak RSS is that case's own; rollouts are generated in a temp dir.
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RolloutCursor } from '../src/codex/rollout-reader';
import type { ResolvedConfig } from '../src/config/settings';
import type { ClosedTurn, ComposeContext } from '../src/worker/closed-turn';
import { composeTurnTrace } from '../src/worker/compose';
import { RolloutWriter } from '../test/unit/codex/rollout-writer';

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
  maxRssMb: number;
  heapUsedMb: number;
  steps: number;
  cursor?: RolloutCursor;
}

/** Runs one compose in this (child) process and prints its figures as JSON. */
async function child(kind: string, path: string, turnId: string, cursorJson: string): Promise<void> {
  const cursor = cursorJson ? (JSON.parse(cursorJson) as RolloutCursor) : undefined;
  const turn = closedTurn(path, turnId, 1);
  if (kind === 'baseline') {
    process.stdout.write(
      JSON.stringify({ ms: 0, maxRssMb: process.resourceUsage().maxRSS / 1024, heapUsedMb: 0, steps: 0 }),
    );
    return;
  }
  const started = performance.now();
  const result = await composeTurnTrace(turn, ctx, cursor);
  const ms = performance.now() - started;
  const measure: Measure = {
    ms,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    heapUsedMb: process.memoryUsage().heapUsed / 1024 / 1024,
    steps: result.taskData.steps?.length ?? 0,
    cursor: result.cursor,
  };
  process.stdout.write(JSON.stringify(measure));
}

function run(kind: string, path: string, turnId: string, cursor?: RolloutCursor): Measure {
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      import.meta.filename,
      'child',
      kind,
      path,
      turnId,
      cursor ? JSON.stringify(cursor) : '',
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (result.status !== 0) throw new Error(`bench child failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Measure;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const fmt = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'bench-worker-'));
  try {
    const baseline = run('baseline', '', '');
    console.log(`node + tsx + modules loaded, no work: max RSS ${fmt(baseline.maxRssMb)} MB`);

    // 1,000 tool calls in one turn (each output ~30 lines, ~2.5 KB).
    const thousand = rolloutPath(join(home, 'thousand'));
    const w = new RolloutWriter(SESSION).sessionMeta();
    writeTurn(w, 'turn-1000', 1000, 30);
    await writeLines(thousand, async (write) => write(w.text()));
    const runs = Array.from({ length: 5 }, () => run('turn', thousand, 'turn-1000'));
    console.log(
      `1,000-tool-call turn (rollout ${fmt(statSync(thousand).size / 1e6)} MB, ${runs[0]?.steps} steps): ` +
        `compose median ${fmt(median(runs.map((r) => r.ms)))} ms (runs: ${runs.map((r) => fmt(r.ms)).join(', ')}), ` +
        `peak RSS ${fmt(median(runs.map((r) => r.maxRssMb)))} MB ` +
        `(+${fmt(median(runs.map((r) => r.maxRssMb)) - baseline.maxRssMb)} MB over the idle process), ` +
        `heap after ${fmt(median(runs.map((r) => r.heapUsedMb)))} MB   [target < 200 ms, < 100 MB]`,
    );

    // A 200 MB session: many 20-call turns, then the turn of interest.
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
    const size = statSync(big).size;
    const first = turns[0] as string;
    const last = turns.at(-1) as string;
    const beforeLast = turns.at(-2) as string;
    const atStart = Array.from({ length: 3 }, () => run('turn', big, first));
    // The worker's cursor after the previous turn: got by composing that turn once (a full scan).
    const scan = run('turn', big, beforeLast);
    const atEnd = Array.from({ length: 3 }, () => run('turn', big, last, scan.cursor));
    const noCursor = run('turn', big, last);
    console.log(`200 MB rollout (${fmt(size / 1e6)} MB, ${turns.length} turns of 20 calls):`);
    console.log(
      `  first turn: compose median ${fmt(median(atStart.map((r) => r.ms)))} ms, ` +
        `peak RSS ${fmt(median(atStart.map((r) => r.maxRssMb)))} MB`,
    );
    console.log(
      `  last turn, with the cursor of the turn before: median ${fmt(median(atEnd.map((r) => r.ms)))} ms, ` +
        `peak RSS ${fmt(median(atEnd.map((r) => r.maxRssMb)))} MB`,
    );
    console.log(
      `  last turn with no cursor (full scan, a lost cursor): ${fmt(noCursor.ms)} ms, peak RSS ${fmt(noCursor.maxRssMb)} MB`,
    );
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
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
