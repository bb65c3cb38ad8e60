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

  it('Azure connection strings keep everything but the key', () => {
    const key = `${'Zm9vYmFy'.repeat(11)}==`;
    expect(
      redact(
        `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${key};EndpointSuffix=core.windows.net`,
      ),
    ).toBe(
      'DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=[REDACTED:azure-key];EndpointSuffix=core.windows.net',
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

describe('ordinary code and commands stay readable', () => {
  it.each([
    'const apiKey = getKey();',
    "headers: { Authorization: 'Bearer ' + token },",
    'if (password.length < 8) return false;',
    'git show 9e82128c4f1d2b3a5e6f708192a3b4c5d6e7f809',
    '"tokenizer": "cl100k_base",',
    'export function redactSecrets(text: string): string {',
    'ssh-keygen -t ed25519 -C "dev@example.com"',
    'git clone https://github.com/openai/codex.git',
    'psql postgres://localhost:5432/app',
    'SECRET_KEY = os.environ["SECRET_KEY"]',
    'export GITHUB_TOKEN=$GITHUB_TOKEN_FROM_CI',
    'const token = process.env.SLACK_TOKEN ?? "";',
    'API_KEY = load_api_key(path)',
    'PASSWORD_MIN_LENGTH = 12',
    'npm install --save-dev typescript@5.9.3',
    'eyes = detect(image)  # eyJ is not a word here',
    'see https://example.com/@user/post for details',
    'skip-worktree: sk-tests are fine',
    'The tokenizer splits text into tokens; the secret is good tests.',
  ])('%s', (line) => {
    expect(redact(line)).toBe(line);
  });
});
