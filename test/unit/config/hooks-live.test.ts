// When our hooks were installed, for `import` (attack21 F1): every install opens an interval, uninstall only
// closes it, the machine's `init --system` keeps its own record, and a turn inside any of them is one our
// hooks saw (and kept nothing of when tracing was off).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeHooksLive,
  hooksLiveIntervals,
  markHooksLive,
  markSystemHooksLive,
  ranWhileLive,
  systemLiveFile,
} from '../../../src/config/hooks-live';

let root: string;
let env: Record<string, string>;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'icx-hooks-live-'));
  env = {
    HOME: join(root, 'home'),
    INFINIUM_CODEX_HOME: join(root, 'state'),
    INFINIUM_CODEX_SYSTEM_DIR: join(root, 'etc'),
  };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('hooks-live intervals', () => {
  it('keeps every install, so a reinstall does not move "live since" past what ran before', () => {
    markHooksLive(env, 1_000);
    markHooksLive(env, 1_500); // a second init while installed: the same interval
    closeHooksLive(env, 2_000);
    markHooksLive(env, 5_000);
    expect(hooksLiveIntervals(env)).toEqual([{ fromMs: 1_000, toMs: 2_000 }, { fromMs: 5_000 }]);
    const intervals = hooksLiveIntervals(env);
    expect(ranWhileLive(intervals, 1_200, 1_300)).toBe(true); // the first install, uninstalled since
    expect(ranWhileLive(intervals, 3_000, 3_100)).toBe(false); // between: our hooks were not there
    expect(ranWhileLive(intervals, 4_900, 5_100)).toBe(true); // partly under the second install
    expect(ranWhileLive(intervals, 9_000, 9_000)).toBe(true);
  });

  it('reads the record of earlier versions as one open install', () => {
    mkdirSync(env.INFINIUM_CODEX_HOME as string);
    writeFileSync(join(env.INFINIUM_CODEX_HOME as string, 'hooks-live.json'), '{"sinceMs":7000}');
    expect(hooksLiveIntervals(env)).toEqual([{ fromMs: 7_000 }]);
    closeHooksLive(env, 8_000);
    expect(hooksLiveIntervals(env)).toEqual([{ fromMs: 7_000, toMs: 8_000 }]);
  });

  it("counts the machine's install (init --system), for users whose state folder it never saw", () => {
    markSystemHooksLive(env, 3_000);
    expect(hooksLiveIntervals(env)).toEqual([{ fromMs: 3_000 }]);
  });

  it.skipIf(process.getuid === undefined)(
    'ignores a machine record others may write, and falls back to a hooks file holding ours',
    () => {
      markSystemHooksLive(env, 3_000);
      chmodSync(systemLiveFile(env), 0o666);
      const managed = join(root, 'managed-hooks.json');
      writeFileSync(managed, '{}');
      utimesSync(managed, new Date(4_000), new Date(4_000));
      expect(hooksLiveIntervals(env)).toEqual([]);
      expect(hooksLiveIntervals(env, [managed])).toEqual([{ fromMs: 4_000 }]);
      // A record of an install in place says more than the file's last change.
      markHooksLive(env, 2_000);
      expect(hooksLiveIntervals(env, [managed])).toEqual([{ fromMs: 2_000 }]);
      expect(readFileSync(systemLiveFile(env), 'utf8')).toContain('3000');
    },
  );
});
