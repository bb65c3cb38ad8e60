import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpooledEvent } from '../../../src/worker/closed-turn';
import { parentSession } from '../../../src/worker/rollout-status';
import { RolloutWriter } from '../codex/rollout-writer';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollout-status-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = '01a20000-0000-7000-8000-0000000000c1';
const PARENT = '01a20000-0000-7000-8000-0000000000p1';

function eventsNaming(path: string): SpooledEvent[] {
  return [
    {
      event: 'SessionStart',
      arrivedAtMs: 0,
      payload: { session_id: CHILD, hook_event_name: 'SessionStart', cwd: dir, transcript_path: path },
    } as SpooledEvent,
  ];
}

describe('parentSession', () => {
  it('asks again while the rollout has no whole session_meta, then keeps what it says', async () => {
    const path = join(dir, `rollout-2026-11-25T10-00-00-${CHILD}.jsonl`);
    const meta = new RolloutWriter(CHILD)
      .sessionMeta({ source: { subagent: { thread_spawn: { parent_thread_id: PARENT } } } })
      .text();
    writeFileSync(path, meta.slice(0, 40));
    expect(await parentSession(CHILD, eventsNaming(path))).toBeNull();
    appendFileSync(path, meta.slice(40));
    expect(await parentSession(CHILD, eventsNaming(path))).toBe(PARENT);
    appendFileSync(path, new RolloutWriter(CHILD).startTurn('t1', 'sub task').text());
    expect(await parentSession(CHILD, eventsNaming(path))).toBe(PARENT);
  });

  it('is null for a session of its own, and for a hook event of a sub-agent inside its parent', async () => {
    const path = join(dir, `rollout-2026-11-25T10-00-00-${PARENT}.jsonl`);
    writeFileSync(path, new RolloutWriter(PARENT).sessionMeta().text());
    expect(await parentSession(PARENT, eventsNaming(path))).toBeNull();
    const nested = eventsNaming(path).map((event) => ({
      ...event,
      payload: { ...event.payload, agent_id: 'a1' },
    }));
    expect(await parentSession(CHILD, nested)).toBeNull();
  });
});
