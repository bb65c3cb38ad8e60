// The session's tracing settings recorded with each spooled event (case env-bleed-across-sessions).
import { describe, expect, it } from 'vitest';
import { envTrailer, sessionEnv, splitSpoolEntry } from '../../../src/spool/session-env';

describe('session env records', () => {
  it('are absent when none of the variables is set, and never hold the secret', () => {
    expect(envTrailer({ HOME: '/h', INFINIUM_AGENT_ID: '' })).toBeNull();
    const trailer = envTrailer({ INFINIUM_AGENT_SECRET: 'ik_live_x', INFINIUM_CODEX_RUN_LABEL: 'nightly' });
    expect(trailer?.toString()).not.toContain('ik_live_x');
    expect(splitSpoolEntry(Buffer.concat([Buffer.from('{"a":1}'), trailer as Buffer])).env).toEqual({
      INFINIUM_AGENT_SECRET: 'set',
      INFINIUM_CODEX_RUN_LABEL: 'nightly',
    });
  });

  it('leave a payload without a trailer whole, also one holding a NUL that is not ours', () => {
    const odd = Buffer.from('{"a":1}\0INFINIUM_AGENT_ID=x');
    expect(splitSpoolEntry(odd)).toEqual({ payload: odd, env: null });
    expect(splitSpoolEntry(Buffer.from('{}'))).toEqual({ payload: Buffer.from('{}'), env: null });
  });

  it("replace the worker's own settings, also with nothing when the session set none", () => {
    const worker = {
      HOME: '/h',
      INFINIUM_CODEX_DISABLED: '1',
      INFINIUM_AGENT_ID: 'worker-agent',
      INFINIUM_AGENT_SECRET: 'worker-secret',
      INFINIUM_CODEX_CONTENT_MODE: 'full',
    };
    expect(sessionEnv(worker, null)).toEqual({ HOME: '/h' });
    expect(
      sessionEnv(worker, { INFINIUM_CODEX_CONTENT_MODE: 'metadata', INFINIUM_AGENT_SECRET: 'set' }),
    ).toEqual({ HOME: '/h', INFINIUM_CODEX_CONTENT_MODE: 'metadata' });
  });
});
