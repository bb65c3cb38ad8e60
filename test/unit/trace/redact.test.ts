import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRedactor } from '../../../src/trace/redact';

const SECRETS = join(import.meta.dirname, '../../fixtures/secrets');
const corpus = readFileSync(join(SECRETS, 'corpus.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as { kind: string; secret: string; context: string });
const ordinary = readFileSync(join(SECRETS, 'ordinary.txt'), 'utf8')
  .split('\n')
  .filter((line) => line !== '');

const redact = makeRedactor([]);

describe('built-in redaction', () => {
  it.each(corpus.map((row) => [row.kind, row.context, row.secret] as const))(
    '%s: %s',
    (_kind, context, secret) => {
      const out = redact(context);
      expect(out).toContain('[REDACTED:');
      // Neither the secret nor a long piece of it survives.
      expect(out).not.toContain(secret);
      const core = secret.replace(/^-----BEGIN [A-Z ]+-----\s*/, '').slice(8, 24);
      if (core.length >= 12) expect(out).not.toContain(core);
    },
  );

  it.each(ordinary)('leaves ordinary text alone: %s', (line) => {
    expect(redact(line)).toBe(line);
  });

  it('keeps the user and host of a URL with a password', () => {
    expect(redact('psql postgres://app:s3cr3t-pass@db.internal:5432/app')).toBe(
      'psql postgres://app:[REDACTED:url-password]@db.internal:5432/app',
    );
  });

  it('keeps the variable name of a secret assignment', () => {
    expect(redact('export STRIPE_SECRET=whatever123 && run')).toBe(
      'export STRIPE_SECRET=[REDACTED:assignment] && run',
    );
  });
});

describe('user patterns', () => {
  it('redacts matches of the configured regexes on top of the built-in set', () => {
    const custom = makeRedactor(['ACME-[0-9]{6}']);
    expect(custom('ticket ACME-123456 with GITHUB_TOKEN=abcdefgh')).toBe(
      'ticket [REDACTED:custom] with GITHUB_TOKEN=[REDACTED:assignment]',
    );
  });

  it('without the built-in set (content mode full) applies only the user patterns', () => {
    const custom = makeRedactor(['ACME-[0-9]{6}'], false);
    expect(custom('ACME-123456 GITHUB_TOKEN=abcdefgh')).toBe('[REDACTED:custom] GITHUB_TOKEN=abcdefgh');
  });
});
