// The CPU of a command and of every process it starts, detached ones included, until the last one exits.
// Linux with a writable cgroup v2 hierarchy (as root): the command runs in a fresh child cgroup, whose
// cpu.stat counts every process in it, and whose cgroup.events says when the last one has exited. Elsewhere:
// /proc sampled every 10 ms for the processes carrying this run's marker in their environment (each one's
// own CPU plus that of the children it waited for; a process's last few ms before exit are missed, so the
// figures are a little low). Without /proc either, no CPU is counted.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Accounted {
  code: number | null;
  /** From the start until the command exited, and until its last process (detached ones too) exited. */
  wallMs: number;
  lastExitMs: number;
  /** When the command exited and when its last process exited (epoch ms). */
  exitedAtMs: number;
  lastExitedAtMs: number;
  /** CPU of every process, ms; NaN when nothing could count it. */
  cpuMs: number;
  stderr: string;
}

export interface AccountOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Give up waiting for the last process this long after the command exited. */
  lingerLimitMs?: number;
}

export type Method = 'cgroup v2' | '/proc sampling' | 'none';

/** The cgroup v2 mount where this process may make child groups, or null. */
function cgroupRoot(): string | null {
  if (process.platform !== 'linux') return null;
  for (const root of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if (!existsSync(join(root, 'cgroup.procs')) || !existsSync(join(root, 'cgroup.controllers'))) continue;
    const probe = join(root, `bench-probe-${process.pid}`);
    try {
      mkdirSync(probe);
      const usable = existsSync(join(probe, 'cpu.stat'));
      rmdirSync(probe);
      if (usable) return root;
    } catch {
      // not ours to write
    }
  }
  return null;
}

const ROOT = cgroupRoot();
export const METHOD: Method = ROOT ? 'cgroup v2' : existsSync('/proc/self/stat') ? '/proc sampling' : 'none';

let runs = 0;
const MARKER = 'INFINIUM_BENCH_ACCOUNT';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `command args` and counts the CPU of it and of everything it starts. */
export async function accounted(
  command: string,
  args: string[],
  options: AccountOptions,
): Promise<Accounted> {
  const id = `bench-${process.pid}-${runs++}`;
  const group = ROOT ? join(ROOT, id) : null;
  if (group) mkdirSync(group);
  const started = performance.now();
  const startedAt = Date.now();
  // The command joins the group itself before it starts, so nothing it forks can escape it.
  const [file, argv] = group
    ? ['/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', group, command, ...args]]
    : [command, args];
  const child = spawn(file, argv, {
    cwd: options.cwd,
    env: { ...options.env, [MARKER]: id },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const sampler = group || METHOD === 'none' ? null : procSampler(id);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const exitedAt = Date.now();
  const wallMs = performance.now() - started;
  const limit = exitedAt + (options.lingerLimitMs ?? 120_000);
  let cpuMs = Number.NaN;
  let lastExitedAt = exitedAt;
  if (group) {
    while (/populated 1/.test(readFileSync(join(group, 'cgroup.events'), 'utf8')) && Date.now() < limit)
      await sleep(10);
    lastExitedAt = Date.now();
    cpuMs = Number(/usage_usec (\d+)/.exec(readFileSync(join(group, 'cpu.stat'), 'utf8'))?.[1]) / 1000;
    // Whatever outlived the limit is killed so the group can go.
    try {
      writeFileSync(join(group, 'cgroup.kill'), '1');
    } catch {}
    for (let i = 0; i < 100; i += 1) {
      try {
        rmdirSync(group);
        break;
      } catch {
        await sleep(10);
      }
    }
  } else if (sampler) {
    while (sampler.alive() && Date.now() < limit) await sleep(10);
    lastExitedAt = Date.now();
    cpuMs = sampler.stop();
  }
  return {
    code,
    wallMs,
    lastExitMs: lastExitedAt - startedAt,
    exitedAtMs: exitedAt,
    lastExitedAtMs: lastExitedAt,
    cpuMs,
    stderr,
  };
}

/** Samples /proc for the processes marked with `id`: see the header. */
function procSampler(id: string): { alive(): boolean; stop(): number } {
  // Per process (pid and start time): its own CPU, that of the children it waited for, its parent's pid.
  const seen = new Map<string, { pid: string; ppid: string; own: number; children: number }>();
  let live = 0;
  const needle = `${MARKER}=${id}\0`;
  const sample = () => {
    let count = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (!readFileSync(`/proc/${pid}/environ`, 'latin1').includes(needle)) continue;
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (fields[0] === 'Z') continue;
        count += 1;
        // clock ticks of 10 ms: utime + stime, cutime + cstime
        const ticks = (a: number, b: number) => (Number(fields[a]) + Number(fields[b])) * 10;
        seen.set(`${pid}/${fields[19]}`, {
          pid,
          ppid: fields[1] ?? '',
          own: ticks(11, 12),
          children: ticks(13, 14),
        });
      } catch {
        // gone meanwhile
      }
    }
    live = count;
  };
  const timer = setInterval(sample, 10);
  sample();
  return {
    alive: () => live > 0,
    stop() {
      clearInterval(timer);
      const all = [...seen.values()];
      // A parent's children figure holds the children that were sampled themselves: counted once.
      return all.reduce((sum, p) => {
        const sampledChildren = all
          .filter((c) => c.ppid === p.pid)
          .reduce((total, c) => total + c.own + c.children, 0);
        return sum + p.own + Math.max(0, p.children - sampledChildren);
      }, 0);
    },
  };
}
