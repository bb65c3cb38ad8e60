import { describe, expect, it } from 'vitest';
import { parseHookPayload } from '../../../src/codex/hook-payload';
import { groupSessionTurns, type SpooledFileEvent } from '../../../src/worker/turns';
import { codexSession } from '../../support/capture-harness';

const s = codexSession('sess-1', '/p');
let clock = 1_000;
function ev(json: string): SpooledFileEvent {
  clock += 10;
  const payload = parseHookPayload(JSON.parse(json));
  if (!payload) throw new Error(`bad test payload ${json}`);
  return { event: payload.hook_event_name, arrivedAtMs: clock, payload, file: `f${clock}` };
}
const HOUR = 3_600_000;

describe('groupSessionTurns', () => {
  it('makes one turn per prompt..Stop, with the session start joining the first turn', () => {
    const events = [
      ev(s.sessionStart()),
      ev(s.prompt('t1', 'a')),
      ev(s.stop('t1', 'done')),
      ev(s.prompt('t2', 'b')),
      ev(s.stop('t2', 'ok')),
    ];
    const g = groupSessionTurns(events, clock, HOUR);
    expect(g.closed.map((t) => [t.turnId, t.ending, t.events.map((e) => e.event)])).toEqual([
      ['t1', 'stop', ['SessionStart', 'UserPromptSubmit', 'Stop']],
      ['t2', 'stop', ['UserPromptSubmit', 'Stop']],
    ]);
    expect(g.pending).toEqual([]);
  });

  it('keeps an open turn pending until it goes stale, then closes it as stale', () => {
    const events = [ev(s.prompt('t1', 'a')), ev(s.preTool('t1', 'c1', 'sleep 100'))];
    expect(groupSessionTurns(events, clock + 1000, HOUR).closed).toEqual([]);
    expect(groupSessionTurns(events, clock + 1000, HOUR).pending).toHaveLength(2);
    const late = groupSessionTurns(events, clock + HOUR + 1, HOUR);
    expect(late.closed.map((t) => [t.turnId, t.ending])).toEqual([['t1', 'stale']]);
  });

  it('does not keep events outside any turn forever once they are stale', () => {
    const orphanTool = [ev(s.preTool('t9', 'c9', 'make'))];
    expect(groupSessionTurns(orphanTool, clock + 1000, HOUR).pending).toHaveLength(1);
    const lateTool = groupSessionTurns(orphanTool, clock + HOUR + 1, HOUR);
    expect(lateTool.closed.map((t) => [t.turnId, t.ending])).toEqual([['t9', 'stale']]);
    expect(lateTool.pending).toEqual([]);
    const bookkeeping = [ev(s.sessionStart())];
    const lateStart = groupSessionTurns(bookkeeping, clock + HOUR + 1, HOUR);
    expect(lateStart.closed).toEqual([]);
    expect(lateStart.consumed).toEqual([bookkeeping[0]?.file]);
    expect(lateStart.pending).toEqual([]);
  });

  it('ends a turn on Interrupt, and lets SessionEnd close nothing when no turn is open', () => {
    const events = [
      ev(s.prompt('t1', 'a')),
      ev(s.preTool('t1', 'c1', 'sleep 9')),
      ev(s.interrupt('t1')),
      ev(s.sessionEnd()),
    ];
    const g = groupSessionTurns(events, clock, HOUR);
    expect(g.closed.map((t) => [t.turnId, t.ending, t.beforeSessionEnd])).toEqual([
      ['t1', 'interrupt', true],
    ]);
    expect(g.consumed).toEqual([events[3]?.file]);
  });

  it('closes a turn that never got its Stop at SessionEnd, and at a new prompt', () => {
    const a = groupSessionTurns([ev(s.prompt('t1', 'a')), ev(s.sessionEnd())], clock, HOUR);
    expect(a.closed.map((t) => [t.turnId, t.ending])).toEqual([['t1', 'session_end']]);
    const b = groupSessionTurns(
      [ev(s.prompt('t1', 'a')), ev(s.prompt('t2', 'b')), ev(s.stop('t2', 'x'))],
      clock,
      HOUR,
    );
    expect(b.closed.map((t) => [t.turnId, t.ending])).toEqual([
      ['t1', 'stale'],
      ['t2', 'stop'],
    ]);
  });

  it('puts sub-agent events (agent_id) into the parent turn open in the same session', () => {
    const events = [
      ev(s.prompt('t1', 'a')),
      ev(s.subagent('UserPromptSubmit', 'agent-7', 'child-turn', { prompt: 'sub task' })),
      ev(s.subagent('Stop', 'agent-7', 'child-turn')),
      ev(s.subagent('SubagentStop', 'agent-7', 'child-turn')),
      ev(s.stop('t1', 'done')),
    ];
    const g = groupSessionTurns(events, clock, HOUR);
    expect(g.closed).toHaveLength(1);
    expect(g.closed[0]?.turnId).toBe('t1');
    expect(g.closed[0]?.events).toHaveLength(5);
  });

  it('still makes a turn of a Stop whose prompt never arrived', () => {
    const g = groupSessionTurns([ev(s.stop('t9', 'x'))], clock, HOUR);
    expect(g.closed.map((t) => [t.turnId, t.ending])).toEqual([['t9', 'stop']]);
  });

  // steer-mid-turn, stop-continuation (test/fixtures/field): the turn_id, not the event order, decides.
  it('keeps a prompt carrying the open turn_id (steering) inside that turn', () => {
    const events = [ev(s.prompt('t1', 'a')), ev(s.prompt('t1', 'steer')), ev(s.stop('t1', 'done'))];
    const g = groupSessionTurns(events, clock, HOUR);
    expect(g.closed.map((t) => [t.turnId, t.ending, t.events.length])).toEqual([['t1', 'stop', 3]]);
  });

  it("joins a continued turn's second Stop and events delivered twice to the turn just closed", () => {
    const events = [
      ev(s.prompt('t1', 'a')),
      ev(s.stop('t1', 'first part')),
      ev(s.stop('t1', 'second part')),
      ev(s.stop('t1', 'second part')),
      ev(s.prompt('t2', 'b')),
      ev(s.interrupt('t2')),
      ev(s.interrupt('t2')),
      ev(s.sessionEnd()),
    ];
    const g = groupSessionTurns(events, clock, HOUR);
    expect(g.closed.map((t) => [t.turnId, t.ending, t.events.length, t.beforeSessionEnd])).toEqual([
      ['t1', 'stop', 4, false],
      ['t2', 'interrupt', 3, true],
    ]);
    expect(g.open).toBeNull();
  });

  it('exposes the open turn, so its rollout can say it is over', () => {
    const g = groupSessionTurns([ev(s.prompt('t1', 'a'))], clock, HOUR);
    expect(g.open).toMatchObject({ turnId: 't1', ending: 'stale' });
    expect(g.pending).toHaveLength(1);
  });
});
