import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createOutput } from '../../../src/cli/output';
import { cutLong, inert, inertLine } from '../../../src/cli/terminal-text';

function captured(env: Record<string, string> = {}) {
  const stdout = Object.assign(new PassThrough(), { isTTY: true });
  const stderr = new PassThrough();
  const out = createOutput(stdout, stderr, { TERM: 'xterm', ...env });
  const read = (stream: PassThrough) => String(stream.read() ?? '');
  return { out, stdout: () => read(stdout), stderr: () => read(stderr) };
}

describe('inert', () => {
  it.each([
    ['ESC (CSI, OSC)', '\u001b[2J\u001b]0;title\u0007', '\\u001b[2J\\u001b]0;title\\u0007'],
    ['CR and BS', 'a\rb\bc', 'a\\u000db\\u0008c'],
    ['DEL', 'x\u007fy', 'x\\u007fy'],
    ['C1 CSI and OSC', '\u009b2J\u009d0;t', '\\u009b2J\\u009d0;t'],
    ['bidi override and isolate', '\u202eabc\u2066d\u2069', '\\u202eabc\\u2066d\\u2069'],
    ['zero-width and BOM', 'a\u200bb\ufeff', 'a\\u200bb\\ufeff'],
    ['line separator', 'a\u2028b', 'a\\u2028b'],
    ['a tag character (astral)', 'a\u{e0041}', 'a\\udb40\\udc41'],
    ['a lone surrogate', 'a\ud800b', 'a\\ud800b'],
  ])('escapes %s', (_what, text, shown) => {
    expect(inert(text)).toBe(shown);
  });

  it('keeps line feeds and tabs in multi-line text, escapes them in one field', () => {
    expect(inert('a\n\tb')).toBe('a\n\tb');
    expect(inertLine('a\n\tb')).toBe('a\\u000a\\u0009b');
  });

  it('keeps ordinary text, accents, CJK and emoji sequences as they are', () => {
    const text = 'café 日本語 👩‍💻 👩🏽‍💻 ✓ — “quoted”';
    expect(inert(text)).toBe(text);
  });

  it('leaves a JSON document the same JSON', () => {
    const value = { s: 'a\u009bb\u007f\u202e\u2028c', n: 1 };
    expect(JSON.parse(inert(JSON.stringify(value)))).toEqual(value);
  });
});

describe('cutLong', () => {
  it('cuts with a note saying how much more there is', () => {
    expect(cutLong('abcdef', 3)).toBe('abc… (3 more characters; --full prints all of it)');
    expect(cutLong('abc', 3)).toBe('abc');
  });

  it('never splits a surrogate pair', () => {
    expect(cutLong('ab😀cd', 3)).toBe('ab… (4 more characters; --full prints all of it)');
  });
});

describe('the output module', () => {
  it('draws our colours and escapes everything outside text brings', () => {
    const { out, stdout } = captured();
    out.line(`${out.red('Error:')} ${'\u001b[32mfake ok\u001b[0m'}`);
    expect(stdout()).toBe('\u001b[31mError:\u001b[39m \\u001b[32mfake ok\\u001b[0m\n');
  });

  it('no outside text can pass for a paint: the marker is random per process', () => {
    const { out, stdout } = captured();
    const marker = out.bold('x').split('1m')[0] as string;
    expect(marker).toMatch(/^paint[0-9a-f]{24}$/);
    out.line(`${'paint'}${'0'.repeat(24)}31mfake${'paint'}${'0'.repeat(24)}39m`);
    expect(stdout()).toBe(`paint${'0'.repeat(24)}31mfake${'paint'}${'0'.repeat(24)}39m\n`);
  });

  it('without colours paints change nothing, so widths stay true', () => {
    const { out, stdout } = captured({ NO_COLOR: '1' });
    expect(out.green('ok')).toBe('ok');
    out.line(out.green('ok'));
    expect(stdout()).toBe('ok\n');
  });

  it('errors, raw writes and JSON pass through the same policy', () => {
    const { out, stdout, stderr } = captured({ NO_COLOR: '1' });
    out.error('bad \u001b]52;c;eA==\u0007');
    out.writeError('help \u009b\n');
    expect(stderr()).toBe('bad \\u001b]52;c;eA==\\u0007\nhelp \\u009b\n');
    out.json({ reason: 'x\u009by' });
    const text = stdout();
    expect(text).not.toMatch(/\u009b/);
    expect(JSON.parse(text)).toEqual({ reason: 'x\u009by' });
  });
});
