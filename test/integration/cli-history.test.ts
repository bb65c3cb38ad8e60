// `history` shows what people look for (first-run N10): the prompt, cut to fit about 110 columns; the agent when
// several appear; an imported turn marked; so rows that match in all else never look identical.
import { describe, expect, it } from 'vitest';
import { appendHistory, type HistoryRecord, payloadFile, savePayload } from '../../src/spool/history';
import { spoolPaths } from '../../src/spool/layout';
import { makeSandbox, runCli, type Sandbox } from '../support/cli-sandbox';

function record(sandbox: Sandbox, session: string, extra: Partial<HistoryRecord> = {}): void {
  appendHistory(spoolPaths(sandbox.env), {
    time: new Date().toISOString(),
    key: `${session}~turn-1`,
    status: 'sent',
    project: 'demo',
    agentId: 'agent-a',
    sessionId: session,
    turn: 'turn-1',
    turnNumber: 1,
    steps: 3,
    tokens: 2370,
    duration: 0.3,
    traceId: `tr_${session}`,
    attempts: 1,
    ...extra,
  });
}

describe('history', () => {
  it('the same turn live and imported, and an older record without a kept prompt: each row says which', async () => {
    const sandbox = makeSandbox();
    record(sandbox, 'live-session-0001', { prompt: 'count' });
    record(sandbox, 'imported-session-02', { prompt: 'count', imported: true });
    // A record written before prompts were kept: the prompt is read from the body kept for it.
    const paths = spoolPaths(sandbox.env);
    savePayload(
      paths,
      'old-session-000003~turn-1',
      JSON.stringify({
        name: 'n',
        description: 'd',
        current_datetime: '',
        duration: 1,
        input_summary: 'check node tooling\nand more',
      }),
    );
    record(sandbox, 'old-session-000003', { payloadPath: payloadFile(paths, 'old-session-000003~turn-1') });
    // And an imported one: its body says so.
    savePayload(
      paths,
      'old-imported-000004~turn-1',
      JSON.stringify({
        name: 'n',
        description: 'd',
        current_datetime: '',
        duration: 1,
        input_summary: 'count again',
        environment: { imported: true },
      }),
    );
    record(sandbox, 'old-imported-000004', {
      payloadPath: payloadFile(paths, 'old-imported-000004~turn-1'),
    });
    const shown = await runCli(sandbox, ['history']);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^WHEN +PROJECT +TURN +STATUS +STEPS +TOKENS +COST +TIME +OUTCOME +VERDICT +KEY +PROMPT$/,
    );
    expect(lines[1]).toMatch(/ 4~turn-1 +\[imported\] count again$/);
    expect(lines[2]).toMatch(/^just now +demo +#1 +sent .* 3~turn-1 +check node tooling$/);
    expect(lines[3]).toMatch(/ 2~turn-1 +\[imported\] count$/);
    expect(lines[4]).toMatch(/ 1~turn-1 +count$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(110);
  });

  it('a long prompt is cut to the width; two agents get an AGENT column', async () => {
    const sandbox = makeSandbox();
    record(sandbox, 'session-a-000001', { prompt: `refactor ${'the parser '.repeat(20)}` });
    record(sandbox, 'session-b-000002', { agentId: 'agent-b', prompt: 'short one' });
    const shown = await runCli(sandbox, ['history']);
    expect(shown.code).toBe(0);
    const lines = shown.stdout.split('\n');
    expect(lines[0]).toMatch(/^WHEN +AGENT +PROJECT +TURN .* KEY +PROMPT$/);
    expect(lines[1]).toMatch(/^just now +agent-b +demo .* short one$/);
    // The columns leave the prompt less than its minimum: it keeps 16 characters.
    expect(lines[2]).toMatch(/^just now +agent-a +demo .* 1~turn-1 {2}refactor the pa…$/);
  });
});
