// Doctor's check on the disk where traces are queued.
import { existsSync, statfsSync } from 'node:fs';
import { statePaths } from '../../config/paths';
import type { CliContext } from '../context';
import type { Finding } from './finding';

const LOW_DISK_BYTES = 200 * 1024 * 1024;

export function diskFindings(ctx: CliContext): Finding[] {
  const root = statePaths(ctx.env).root;
  try {
    const stats = statfsSync(existsSync(root) ? root : ctx.cwd);
    const free = stats.bavail * stats.bsize;
    return free < LOW_DISK_BYTES
      ? [
          {
            check: 'disk',
            status: 'warn',
            summary: `only ${Math.round(free / 1024 / 1024)} MB free where traces are queued (${root})`,
            fix: 'Free some disk space.',
          },
        ]
      : [{ check: 'disk', status: 'ok', summary: `${Math.round(free / 1024 / 1024 / 1024)} GB free` }];
  } catch {
    return [];
  }
}
