// The secret a pass sends with (and reads evaluations back with): a session's own or the stored one, each
// source looked up once per pass, never one source's secret for another's trace.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spoolPaths } from '../../../src/spool/layout';
import { storeSessionSecret } from '../../../src/spool/session-secrets';
import { secretLookup } from '../../../src/worker/trace-secret';
import { makeSandbox, type Sandbox, storeAgentSecret } from '../../support/capture-harness';

const BASE_URL = 'https://infinium.example';
let box: Sandbox;

beforeEach(() => {
  box = makeSandbox({ agentId: 'agent-a', baseUrl: BASE_URL });
  storeAgentSecret(box, { 'agent-a': 'stored-a', 'agent-b': 'stored-b' });
});
afterEach(() => box.cleanup());

describe('secretLookup', () => {
  const trace = (agentId: string, sessionId: string, secret?: 'stored' | 'session') => ({
    agentId,
    baseUrl: BASE_URL,
    sessionId,
    ...(secret ? { secret } : {}),
  });

  it('looks each source up once per pass, and again in the next pass', async () => {
    const env = { ...box.env, INFINIUM_AGENT_SECRET: 'from-this-shell' };
    const first = secretLookup(spoolPaths(env), env);
    expect(await first(trace('agent-a', 's1', 'stored'))).toBe('stored-a');
    storeAgentSecret(box, { 'agent-a': 'changed-a', 'agent-b': 'changed-b' });
    // The same source in the same pass: the secret found first.
    expect(await first(trace('agent-a', 's2', 'stored'))).toBe('stored-a');
    // Another agent, and an entry of an older version (no `secret`: the environment first), are other sources.
    expect(await first(trace('agent-b', 's1', 'stored'))).toBe('changed-b');
    expect(await first(trace('agent-a', 's1'))).toBe('from-this-shell');
    expect(await secretLookup(spoolPaths(env), env)(trace('agent-a', 's1', 'stored'))).toBe('changed-a');
  });

  it("gives a session's own secret to that session's traces only", async () => {
    const paths = spoolPaths(box.env);
    storeSessionSecret(paths, 's1', 'own-s1');
    const secretOf = secretLookup(paths, box.env);
    expect(await secretOf(trace('agent-a', 's1', 'session'))).toBe('own-s1');
    expect(await secretOf(trace('agent-a', 's2', 'session'))).toBeNull();
    expect(await secretOf(trace('agent-a', 's2', 'stored'))).toBe('stored-a');
  });
});
