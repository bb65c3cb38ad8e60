// withProgress on a stand-in terminal (stderr): a quick answer draws nothing, a wait past the show-after delay
// shows clack's spinner with the message made inert and erases it at the end, and nothing is drawn where
// spinners are off. Ctrl-C in a real terminal is tested in test/integration/cli-wizard.test.ts.
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withProgress } from '../../../src/cli/progress';

function terminal(isTTY = true) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 80 });
  let written = '';
  stream.on('data', (chunk: Buffer) => {
    written += chunk.toString('utf8');
  });
  return { stream, written: () => written };
}

/** Work that ends after `ms` of (fake) time. */
const endsAfter = (ms: number) => () =>
  new Promise<string>((resolve) => setTimeout(() => resolve('done'), ms));

describe('withProgress', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('draws nothing for an answer that comes at once', async () => {
    const { stream, written } = terminal();
    await expect(
      withProgress({ stream, enabled: true }, 'Asking Infinium', async () => 'done'),
    ).resolves.toBe('done');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(written()).toBe('');
  });

  it('past the delay shows the spinner with the message made inert, and erases it when the work ends', async () => {
    const { stream, written } = terminal();
    const result = withProgress(
      { stream, enabled: true },
      'Asking \u001b]0;evil\u0007 Infinium',
      endsAfter(2_000),
    );
    await vi.advanceTimersByTimeAsync(200);
    expect(written()).toBe('');
    await vi.advanceTimersByTimeAsync(1_800);
    await expect(result).resolves.toBe('done');
    const shown = written();
    expect(shown).toContain('Asking \\u001b]0;evil\\u0007 Infinium');
    expect(shown).not.toContain('\u001b]0;evil');
    // The cursor is hidden while it spins; at the end the line is erased (column 1, erase down) and the
    // cursor shown again: no done mark or message stays.
    expect(shown.startsWith('\u001b[?25l')).toBe(true);
    expect(shown.endsWith('\u001b[1G\u001b[J\u001b[?25h')).toBe(true);
    expect(shown).not.toContain('◇');
  });

  it.each([
    ['stderr is not a terminal', false, true],
    ['--json', true, false],
  ])('draws nothing when %s', async (_case, isTTY, enabled) => {
    const { stream, written } = terminal(isTTY);
    const result = withProgress({ stream, enabled }, 'Asking Infinium', endsAfter(2_000));
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(result).resolves.toBe('done');
    expect(written()).toBe('');
  });
});
