// Refreshes the secret rules the redactor adopts from gitleaks (MIT, https://github.com/gitleaks/gitleaks):
// reads its default config (config/gitleaks.toml at a pinned commit) and writes the rules we use as data to
// src/trace/secret-rules.json. Every rule is checked to compile under RE2 (re2js, the linear-time engine the
// redactor runs them on); a rule that does not, or that we leave out on purpose, is reported and listed in
// the file's `skipped` with the reason; what must follow each keyword in a match (`follow`) is derived from
// the rule (secret-rule-follow.ts). Review the diff (and run the secrets suite) before committing.
// Usage: npm run rules:update -- <path or URL of gitleaks.toml> <commit>
//   e.g. https://raw.githubusercontent.com/gitleaks/gitleaks/<commit>/config/gitleaks.toml <commit>
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RE2JS } from 're2js';
import { parse } from 'smol-toml';
import type { RuleData } from '../src/trace/secret-rules';
import { keywordFollow } from './secret-rule-follow';

const OUT = join(import.meta.dirname, '..', 'src', 'trace', 'secret-rules.json');

/** Rules we leave out, and why. */
const LEFT_OUT: Record<string, string> = {
  'curl-auth-header':
    "a curl command's auth header: the redactor's own header pattern finds it in any command, and this rule costs a worker ~80 ms to compile",
  'curl-auth-user':
    "curl's -u user:password: the redactor's own curl -u pattern finds it, and this rule's `.*` runs over whole lines",
  'generic-api-key':
    'any value after a secret-like name: the redactor has its own rule for that (names that go on past the keyword, entropy), which also covers what this one finds',
};

interface TomlAllowlist {
  regexTarget?: string;
  regexes?: string[];
  stopwords?: string[];
  condition?: string;
  paths?: string[];
}

interface TomlRule {
  id: string;
  regex?: string;
  secretGroup?: number;
  entropy?: number;
  keywords?: string[];
  path?: string;
  allowlists?: TomlAllowlist[];
}

async function readSource(source: string): Promise<string> {
  if (!/^https?:/.test(source)) return readFileSync(source, 'utf8');
  const response = await fetch(source);
  if (!response.ok) throw new Error(`${source}: HTTP ${response.status}`);
  return response.text();
}

function compiles(source: string): string | null {
  try {
    RE2JS.compile(source);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function main(): Promise<void> {
  const [source, commit] = process.argv.slice(2);
  if (!source || !commit || !/^[0-9a-f]{7,40}$/.test(commit)) {
    console.error('usage: npm run rules:update -- <path or URL of gitleaks.toml> <commit it was taken at>');
    process.exit(2);
  }
  const config = parse(await readSource(source)) as unknown as {
    rules: TomlRule[];
    allowlist?: TomlAllowlist;
  };
  const rules: RuleData[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const rule of config.rules) {
    if (LEFT_OUT[rule.id]) {
      skipped.push({ id: rule.id, reason: LEFT_OUT[rule.id] as string });
      continue;
    }
    if (!rule.regex) {
      skipped.push({ id: rule.id, reason: 'matches file paths only' });
      continue;
    }
    // The name's front before the keyword only widens the match; the secret group is the same without it,
    // and a rule that starts at its keyword can be run around the keyword alone.
    const regex = rule.regex.replace(/^(\(\?i\))?\[\\w\.-\]\{0,50\}\?/, '$1');
    const problem = compiles(regex);
    if (problem) {
      skipped.push({ id: rule.id, reason: `does not compile under RE2: ${problem}` });
      continue;
    }
    const allow: string[] = [];
    const stopwords: string[] = [];
    for (const list of rule.allowlists ?? []) {
      // Only lists that judge the secret itself alone; those on the line, the whole match or file paths
      // would need the file's context, which a trace does not have.
      if ((list.regexTarget ?? 'secret') !== 'secret' || list.paths || list.condition === 'AND') continue;
      for (const allowed of list.regexes ?? []) {
        const bad = compiles(allowed);
        if (bad) skipped.push({ id: `${rule.id} allowlist ${allowed}`, reason: bad });
        else allow.push(allowed);
      }
      stopwords.push(...(list.stopwords ?? []).map((word) => word.toLowerCase()));
    }
    const keywords = (rule.keywords ?? []).map((word) => word.toLowerCase());
    if (keywords.length === 0) {
      skipped.push({ id: rule.id, reason: 'has no keywords to find it by' });
      continue;
    }
    const follow = keywordFollow(regex, keywords);
    rules.push({
      id: rule.id,
      regex,
      keywords,
      ...(Object.keys(follow).length > 0 ? { follow } : {}),
      ...(rule.secretGroup ? { secretGroup: rule.secretGroup } : {}),
      ...(rule.entropy ? { entropy: rule.entropy } : {}),
      ...(allow.length > 0 ? { allow } : {}),
      ...(stopwords.length > 0 ? { stopwords } : {}),
    });
  }
  // The global allow list's regexes and stopwords judge every rule's secret (`$VAR`, `true`, ...).
  const allow = (config.allowlist?.regexes ?? []).filter((allowed) => {
    const bad = compiles(allowed);
    if (bad) skipped.push({ id: `global allowlist ${allowed}`, reason: bad });
    return !bad;
  });
  const stopwords = (config.allowlist?.stopwords ?? []).map((word) => word.toLowerCase());
  const data = {
    source: 'https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml',
    commit,
    allow,
    stopwords,
    license: 'MIT, Copyright (c) 2019 Zachary Rice (see docs/third-party-notices.md)',
    rules,
    skipped,
  };
  writeFileSync(OUT, `${JSON.stringify(data, null, 2)}\n`);
  // In the layout the repository's formatter keeps, so that a refresh diffs by rule.
  execFileSync('npx', ['biome', 'format', '--write', OUT], { stdio: 'ignore' });
  console.log(`${rules.length} rules written to ${OUT}; ${skipped.length} left out:`);
  for (const { id, reason } of skipped) console.log(`  ${id}: ${reason}`);
}

await main();
