// Where a worker process's CPU goes, for the turn-cpu bench (bench/turn-cpu.bench.ts). Only when
// INFINIUM_CODEX_BENCH_TIMING names a file: each worker process then appends one JSON line to it as it
// exits (numbers and phase names only). Otherwise `timed` just runs its function.
//
// A phase's CPU is exclusive of the phases run inside it (the keyring lookup inside evaluation polling
// counts as keyring), measured with process.cpuUsage (every thread of the process). `load` is the trace
// side, loaded when a turn is first built. Evaluation polling that runs while the worker waits for its
// session's next event is counted as `evaluations` only from the session's end.
import { appendFileSync, readFileSync } from 'node:fs';

const LOG = process.env.INFINIUM_CODEX_BENCH_TIMING;

/** What the bench reads: CPU in ms, times in epoch ms. */
export interface WorkerTiming {
  pid: number;
  /** When the process started (performance.timeOrigin) and when it exited. */
  startedAtMs: number;
  exitedAtMs: number;
  /** CPU when the worker's entry began (Node's start and the entry's load), when it says so. */
  startedCpuMs?: number;
  /** CPU when the worker's own code began: Node's start and the bundle's load; 0 when it never did. */
  loadedCpuMs: number;
  /** CPU of the phases run before that (the worker lock, taken before the rest is loaded). */
  phasesBeforeLoadMs?: number;
  /** CPU of the whole process at exit, and of the children it waited for (Linux: /proc/self/stat). */
  cpuMs: number;
  childrenCpuMs: number;
  /** Exclusive CPU per phase. */
  phases: Record<string, number>;
  /** When each trace was accepted by Infinium. */
  sentAtMs: number[];
}

const phases: Record<string, number> = {};
const sentAtMs: number[] = [];
/** For each phase open right now, the CPU of the phases that ran inside it. */
const inner: number[] = [];
let startedCpuMs: number | undefined;
let loadedCpuMs: number | undefined;
let phasesBeforeLoadMs: number | undefined;

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function begin(): number {
  inner.push(0);
  return cpuMs();
}

function end(phase: string, startedCpuMs: number): void {
  const total = cpuMs() - startedCpuMs;
  const nested = inner.pop() ?? 0;
  phases[phase] = (phases[phase] ?? 0) + total - nested;
  if (inner.length > 0) inner[inner.length - 1] = (inner.at(-1) ?? 0) + total;
}

/** Runs `run` as `phase`. Phases must nest (no two open side by side). */
export async function timed<T>(phase: string, run: () => Promise<T>): Promise<T> {
  if (!LOG) return run();
  const started = begin();
  try {
    return await run();
  } finally {
    end(phase, started);
  }
}

export function timedSync<T>(phase: string, run: () => T): T {
  if (!LOG) return run();
  const started = begin();
  try {
    return run();
  } finally {
    end(phase, started);
  }
}

/** Marks the moment the worker's entry begins (before it loads the rest). */
export function markStarted(): void {
  if (LOG) startedCpuMs ??= cpuMs();
}

/** Marks the moment the worker's own code begins (after Node's start and the bundle's load). */
export function markLoaded(): void {
  if (!LOG || loadedCpuMs !== undefined) return;
  loadedCpuMs = cpuMs();
  phasesBeforeLoadMs = Object.values(phases).reduce((a, b) => a + b, 0);
}

/** Marks a trace accepted by Infinium. */
export function markSent(): void {
  if (LOG) sentAtMs.push(Date.now());
}

/** CPU of the children this process waited for: /proc/self/stat's cutime and cstime, in clock ticks (USER_HZ 100). */
function childrenCpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return 0;
  }
}

if (LOG) {
  const file = LOG;
  process.on('exit', () => {
    const timing: WorkerTiming = {
      pid: process.pid,
      startedAtMs: performance.timeOrigin,
      exitedAtMs: Date.now(),
      ...(startedCpuMs === undefined ? {} : { startedCpuMs }),
      loadedCpuMs: loadedCpuMs ?? 0,
      ...(phasesBeforeLoadMs ? { phasesBeforeLoadMs } : {}),
      cpuMs: cpuMs(),
      childrenCpuMs: childrenCpuMs(),
      phases,
      sentAtMs,
    };
    try {
      appendFileSync(file, `${JSON.stringify(timing)}\n`);
    } catch {
      // a bench aid: nothing to do about it here
    }
  });
}
