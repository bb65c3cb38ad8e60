// What `retry` and `doctor --fix` say about the traces they moved to the destination now configured, and
// about those they left where they were (attack21 F2: a move is said, and so is a refusal with its reason).
import { describe, expect, it } from 'vitest';
import { retargetedTraces } from '../../../src/cli/retry';

const from = { agentId: 'wrongid', baseUrl: 'https://a.example/api/v1' };
const to = { agentId: 'agent-1', baseUrl: 'https://a.example/api/v1' };

describe('retargetedTraces', () => {
  it('names what changed, from where to where', () => {
    expect(retargetedTraces({ from, to, count: 2 })).toBe(
      'Re-targeted 2 traces from agent wrongid to agent agent-1, as now configured for their project',
    );
  });

  it('says which traces stayed, and why', () => {
    const refused = 'they were built with content mode full, and the new destination takes redacted';
    expect(retargetedTraces({ from, to, count: 1, refused })).toBe(
      `Kept 1 trace for agent wrongid, not agent agent-1 as now configured: ${refused}`,
    );
  });
});
