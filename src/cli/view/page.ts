// The HTML of `view`, rendered on our side so a page reads fully without JavaScript (the script only adds
// a filter and relative times). Every text is escaped; redaction markers are shown as such. Assets are
// served by our own server under the page's token: no CDN, nothing fetched from anywhere else.
import type { LlmUsage, Step, TaskData, TraceError } from '../../infinium/task-data';
import type { EvaluationState } from '../../spool/evaluations';
import { historyCost, outcomeSummary, promptLine } from '../../spool/history';
import { costCell, describeCost } from '../cost';
import { evaluationGist, shortVerdict } from '../evaluation-format';
import { outcomeCell } from '../outcome-format';
import type { ViewTurn } from './data';

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Escaped text with every `[REDACTED:kind]` marker made visible. */
function text(value: string): string {
  return escapeHtml(value).replace(
    /\[REDACTED:[^\]\s]{1,40}\]/g,
    (marker) => `<mark class="redacted">${marker}</mark>`,
  );
}

function page(base: string, title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="${base}/assets/icon.svg">
<link rel="stylesheet" href="${base}/assets/page.css">
<script src="${base}/assets/page.js" defer></script>
</head>
<body>
<header><a class="home" href="${base}/">infinium-codex</a> <span class="dim">traces kept on this machine</span></header>
<main>
${body}
</main>
</body>
</html>
`;
}

function time(iso: string): string {
  const shown = iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(shown)}</time>`;
}

function promptOf(data: TaskData | undefined): string {
  const line = promptLine(data);
  return line.length > 90 ? `${line.slice(0, 89)}…` : line;
}

function badge(delivery: ViewTurn['delivery']): string {
  return `<span class="badge ${delivery}">${delivery}</span>`;
}

function verdictCell(evaluation: EvaluationState | null): string {
  return `<span class="verdict ${evaluation?.status ?? 'none'}">${escapeHtml(shortVerdict(evaluation, 40))}</span>`;
}

/** The list of recent turns. `base` is the token path every link starts with. */
export function renderList(base: string, turns: ViewTurn[]): string {
  if (turns.length === 0) {
    return page(
      base,
      'infinium-codex: no traces yet',
      '<h1>No traces yet</h1><p>Traces appear here once a Codex turn has been built and sent.</p>',
    );
  }
  const rows = turns
    .map((turn) => {
      const data = turn.taskData;
      const tokens = data?.llm_usage?.total_tokens;
      return `<tr>
<td>${escapeHtml(turn.project)}</td>
<td><a href="${base}/turn/${encodeURIComponent(turn.key)}">#${turn.turnNumber} ${text(promptOf(data)) || '<span class="dim">(no prompt kept)</span>'}</a></td>
<td>${time(turn.time)}</td>
<td>${badge(turn.delivery)}</td>
<td class="num">${tokens === undefined ? '-' : tokens.toLocaleString('en-US')}</td>
<td class="num" title="${escapeHtml((data && describeCost(data)) ?? '')}">${escapeHtml(data ? costCell(historyCost(data)) : '-')}</td>
<td class="num">${data ? `${data.duration.toFixed(1)} s` : '-'}</td>
<td>${escapeHtml(outcomeCell(outcomeSummary(data?.environment?.outcome)))}</td>
<td>${verdictCell(turn.evaluation)}</td>
</tr>`;
    })
    .join('\n');
  return page(
    base,
    'infinium-codex: recent turns',
    `<h1>Recent turns</h1>
<p class="filter" hidden><label>Filter <input type="search" id="filter" placeholder="project, prompt, status"></label></p>
<table id="turns">
<thead><tr><th>Project</th><th>Turn</th><th>Time</th><th>Delivery</th><th>Tokens</th><th>Cost</th><th>Duration</th><th>Outcome</th><th>Verdict</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`,
  );
}

function usageTable(usage: LlmUsage | undefined): string {
  if (!usage) return '<p class="dim">No token usage was recorded.</p>';
  const rows = Object.entries(usage)
    .filter(([, value]) => typeof value === 'string' || typeof value === 'number')
    .map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(String(value))}</td></tr>`);
  // Anything nested (a per-model split, say) is shown as it was sent.
  const nested = Object.entries(usage).filter(([, value]) => typeof value === 'object' && value !== null);
  const extra = nested
    .map(([key, value]) => `<h3>${escapeHtml(key)}</h3><pre>${text(JSON.stringify(value, null, 2))}</pre>`)
    .join('');
  return `<table class="usage">${rows.join('')}</table>${extra}`;
}

/** What came of the turn: the outcome sentence, then files, checks and commits (environment.outcome). */
function outcomeSection(data: TaskData): string {
  const outcome = data.environment?.outcome;
  if (!outcome) return '<p class="dim">No outcome was measured for this trace.</p>';
  const evidence =
    outcome.evidence === 'complete'
      ? ''
      : `<p class="dim">Evidence ${escapeHtml(outcome.evidence)}${outcome.reason ? `: ${text(outcome.reason)}` : ''}.</p>`;
  const count = (value: number | undefined) => (value === undefined ? '-' : String(value));
  const files = outcome.files?.length
    ? `<table class="files"><thead><tr><th>File</th><th>Change</th><th>+</th><th>−</th></tr></thead><tbody>${outcome.files
        .map(
          (file) =>
            `<tr><td>${text(file.path)}${file.from ? ` <span class="dim">(from ${text(file.from)})</span>` : ''}</td><td>${file.status}</td><td class="num">${count(file.added)}</td><td class="num">${count(file.removed)}</td></tr>`,
        )
        .join(
          '',
        )}</tbody></table>${outcome.files_not_listed ? `<p class="dim">and ${outcome.files_not_listed} more files</p>` : ''}`
    : '';
  const checks = outcome.checks.length
    ? `<h3>Checks</h3><ol class="checks">${outcome.checks
        .map((check) => {
          const counts = [
            check.passed === undefined ? '' : `${check.passed} passed`,
            check.failed ? `${check.failed} failed` : '',
            check.skipped ? `${check.skipped} skipped` : '',
          ].filter(Boolean);
          return `<li><span class="check ${check.status}">${check.status}</span> ${escapeHtml(check.kind)} <code>${text(check.command)}</code>${
            check.step_number === undefined ? '' : ` <span class="dim">(step ${check.step_number})</span>`
          }${counts.length ? ` ${counts.join(', ')}` : ''}</li>`;
        })
        .join('')}</ol>`
    : '';
  const commits = outcome.commits.length
    ? `<h3>Commits</h3><ul>${outcome.commits
        .map(
          (commit) =>
            `<li><code>${escapeHtml(commit.sha)}</code> ${commit.subject ? text(commit.subject) : ''} <span class="dim">(${commit.files} file${commit.files === 1 ? '' : 's'})</span></li>`,
        )
        .join('')}</ul>`
    : '';
  const pushed = outcome.pushed ? '<p>Pushed.</p>' : '';
  const pr = outcome.pull_request_url ? `<p>Pull request: ${text(outcome.pull_request_url)}</p>` : '';
  return `<p>${text(data.outcome ?? '')}</p>${evidence}${files}${checks}${commits}${pushed}${pr}`;
}

function errorList(errors: TraceError[] | undefined): string {
  if (!errors || errors.length === 0) return '<p class="dim">No errors.</p>';
  const items = errors
    .map(
      (error) =>
        `<li class="error"><strong>${escapeHtml(error.error_type)}</strong>${
          error.step_number === undefined ? '' : ` (step ${error.step_number})`
        }: ${text(error.message)}</li>`,
    )
    .join('');
  return `<ul class="errors">${items}</ul>`;
}

function stepTree(steps: Step[] | undefined): string {
  if (!steps || steps.length === 0) return '<p class="dim">No steps were kept.</p>';
  return `<ol class="steps">${steps.map(stepItem).join('')}</ol>`;
}

function stepItem(step: Step): string {
  const facts = [
    step.tool_name ? `tool ${escapeHtml(step.tool_name)}` : undefined,
    step.exit_code === undefined ? undefined : `exit ${step.exit_code}`,
    step.duration_ms === undefined ? undefined : `${step.duration_ms} ms`,
    step.agent_id ? `agent ${escapeHtml(step.agent_id)}` : undefined,
  ].filter(Boolean);
  const body = [
    step.input ? `<h4>Input</h4><pre>${text(step.input)}</pre>` : '',
    step.output ? `<h4>Output</h4><pre>${text(step.output)}</pre>` : '',
    step.steps?.length ? `<div class="nested">${stepTree(step.steps)}</div>` : '',
  ].join('');
  const summary = `<span class="status ${step.status}">${step.status}</span> <span class="action">${escapeHtml(step.action)}</span> ${text(step.description)}${
    facts.length ? ` <span class="dim">(${facts.join(', ')})</span>` : ''
  }`;
  return `<li class="step ${step.status}" value="${step.step_number}">${
    body
      ? `<details open><summary>${summary}</summary>${body}</details>`
      : `<div class="leaf">${summary}</div>`
  }</li>`;
}

function evaluationSection(turn: ViewTurn): string {
  const state = turn.evaluation;
  if (!state) {
    return turn.delivery === 'sent'
      ? '<p class="dim">Infinium accepted this trace without giving its id, so there is no evaluation to ask for.</p>'
      : '<p class="dim">Not sent yet, so not evaluated.</p>';
  }
  if (state.status === 'pending') return '<p>Pending: Maestro is still at work (usually 5-30 s).</p>';
  if (state.status === 'unavailable')
    return `<p>Unavailable: ${text(state.reason ?? 'Infinium gave none')}.</p>`;
  const gist = evaluationGist(state.evaluation);
  const head = [
    gist.score === undefined ? '' : `<span class="score">score ${escapeHtml(gist.score)}</span>`,
    gist.verdict === undefined ? '' : `<span class="verdict-text">${escapeHtml(gist.verdict)}</span>`,
  ].join(' ');
  return `<p>${head}</p>${gist.summary ? `<p>${text(gist.summary)}</p>` : ''}
<details><summary>The whole evaluation, as Infinium returned it</summary><pre>${text(
    JSON.stringify(state.evaluation, null, 2),
  )}</pre></details>`;
}

/** One turn: its steps as a tree (sub-agents nested), errors, tokens and Maestro's evaluation. */
export function renderTurn(base: string, turn: ViewTurn): string {
  const data = turn.taskData;
  const env = data?.environment;
  const cost = data && describeCost(data);
  const facts = [
    `${badge(turn.delivery)} ${time(turn.time)}`,
    turn.traceId ? `trace <code>${escapeHtml(turn.traceId)}</code>` : '',
    env?.model ? `model ${escapeHtml(env.model)}` : '',
    env?.codex_version ? `Codex ${escapeHtml(env.codex_version)}` : '',
    data ? `${data.duration.toFixed(1)} s` : '',
    cost ? `cost ${escapeHtml(cost)}` : '',
  ].filter(Boolean);
  const content = data
    ? `<section><h2>Prompt</h2><pre>${text(data.input_summary ?? '')}</pre></section>
<section><h2>Answer</h2><pre>${text(data.output_summary ?? '')}</pre></section>
<section><h2>Outcome</h2>${outcomeSection(data)}</section>
<section><h2>Errors</h2>${errorList(data.errors)}</section>
<section><h2>Steps</h2>${stepTree(data.steps)}</section>
<section><h2>Token usage</h2>${usageTable(data.llm_usage)}</section>`
    : '<p class="dim">The body of this trace is no longer kept (only the newest ones are).</p>';
  return page(
    base,
    `infinium-codex: ${turn.project} turn #${turn.turnNumber}`,
    `<h1>${escapeHtml(turn.project)} turn #${turn.turnNumber}</h1>
<p class="facts">${facts.join(' · ')}</p>
${turn.reason ? `<p class="reason">${text(turn.reason)}</p>` : ''}
<section><h2>Maestro’s evaluation</h2>${evaluationSection(turn)}</section>
${content}`,
  );
}

export function renderNotFound(base: string): string {
  return page(
    base,
    'infinium-codex: not found',
    `<h1>Not found</h1><p><a href="${base}/">Back to the list</a></p>`,
  );
}

export const PAGE_CSS = `:root { color-scheme: light dark; --fail: #c62828; --ok: #2e7d32; --warn: #b26a00; --line: #8884; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0; }
header { padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
header .home { font-weight: 600; text-decoration: none; }
main { padding: 1rem; max-width: 1200px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.usage { width: auto; } table.usage td { text-align: right; font-variant-numeric: tabular-nums; }
.dim { opacity: .65; }
.badge { border-radius: .6rem; padding: 0 .5rem; font-size: .85em; border: 1px solid currentColor; }
.badge.sent { color: var(--ok); } .badge.dead { color: var(--fail); } .badge.queued { color: var(--warn); } .badge.local { color: var(--warn); }
.status { font-size: .8em; text-transform: uppercase; }
.status.success { color: var(--ok); } .status.failure { color: var(--fail); font-weight: 700; } .status.incomplete { color: var(--warn); }
li.step.failure > details > summary, li.step.failure > .leaf { background: #c6282818; }
ol.steps { padding-left: 1.6rem; } .nested { border-left: 3px solid var(--line); margin-left: .3rem; }
pre { white-space: pre-wrap; word-break: break-word; background: #8881; padding: .5rem; max-height: 24rem; overflow: auto; }
mark.redacted { background: #f9a82555; color: inherit; border-radius: .2rem; }
ul.errors li.error { color: var(--fail); }
.reason { color: var(--fail); }
.score { font-weight: 700; font-size: 1.2em; }
table.files { width: auto; } .check { font-size: .8em; text-transform: uppercase; }
.check.passed { color: var(--ok); } .check.failed { color: var(--fail); font-weight: 700; }
`;

export const PAGE_ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="#2e7d32"/><path d="M4 8.5l2.5 2.5L12 5" stroke="#fff" stroke-width="2" fill="none"/></svg>`;

export const PAGE_JS = `'use strict';
// Enhancements only: the page is complete without them.
(function () {
  var input = document.getElementById('filter');
  var table = document.getElementById('turns');
  if (input && table) {
    input.closest('.filter').hidden = false;
    input.addEventListener('input', function () {
      var words = input.value.toLowerCase();
      table.querySelectorAll('tbody tr').forEach(function (row) {
        row.hidden = words !== '' && row.textContent.toLowerCase().indexOf(words) === -1;
      });
    });
  }
  var units = [['day', 86400], ['hour', 3600], ['min', 60]];
  document.querySelectorAll('time[datetime]').forEach(function (el) {
    var then = Date.parse(el.getAttribute('datetime'));
    if (isNaN(then)) return;
    var seconds = Math.round((Date.now() - then) / 1000);
    var text = seconds < 60 ? 'just now' : '';
    for (var i = 0; !text && i < units.length; i++) {
      var n = Math.floor(seconds / units[i][1]);
      if (n >= 1) text = n + ' ' + units[i][0] + (n > 1 && units[i][0] !== 'min' ? 's' : '') + ' ago';
    }
    el.title = new Date(then).toLocaleString();
    el.textContent = text;
  });
})();
`;
