// `infinium-codex view [--port N] [--no-open]`: a local page of every turn kept on this machine and how
// Maestro judged it. Served on 127.0.0.1 only, under an unguessable token that every path must start with,
// to a Host of 127.0.0.1 or localhost only (no DNS rebinding), with a strict Content-Security-Policy and
// nothing from any other origin. Prints the URL as the first line of stdout and serves until SIGINT/SIGTERM.
//
// Every local user can reach 127.0.0.1, so the token is the page's only protection, and every local user
// can read every process's command line (/proc/<pid>/cmdline, `ps`): the URL must never be one. The browser
// is opened on a 0600 file in our 0700 state folder that sends it on to the URL (as Jupyter does), so the
// opener (xdg-open, open, start) and the browser it starts carry only that file's path.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Env, statePaths, withoutAgentSecret } from '../../config/paths';
import { trustedProgram } from '../../git/program';
import { ensureDir, writeFileAtomic } from '../../spool/layout';
import { processAlive } from '../../spool/lock';
import type { CliContext } from '../context';
import { UserError } from '../errors';
import { collectTurns } from './data';
import { escapeHtml, PAGE_CSS, PAGE_ICON, PAGE_JS, renderList, renderNotFound, renderTurn } from './page';

export interface ViewOptions {
  port?: string;
  /** commander's --no-open: false when given. */
  open?: boolean;
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
};

function parsePort(text: string | undefined): number {
  if (text === undefined) return 0;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new UserError(`--port must be a whole number from 1 to 65535 (got "${text}").`, undefined, 2);
  }
  return port;
}

interface Reply {
  status: number;
  type: string;
  body: string;
}

const NOT_FOUND: Reply = { status: 404, type: 'text/plain; charset=utf-8', body: 'Not found\n' };
const HTML = 'text/html; charset=utf-8';

/** The request handler: everything below `/<token>/`, for a loopback Host; a bare 404 for anything else. */
export function viewHandler(ctx: CliContext, token: string, port: () => number) {
  const base = `/${token}`;
  const reply = (req: IncomingMessage): Reply => {
    const hosts = [`127.0.0.1:${port()}`, `localhost:${port()}`];
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (!hosts.includes(req.headers.host ?? '') || (req.method !== 'GET' && req.method !== 'HEAD'))
      return NOT_FOUND;
    if (path !== base && !path.startsWith(`${base}/`)) return NOT_FOUND;
    const rest = path.slice(base.length);
    if (rest === '' || rest === '/')
      return { status: 200, type: HTML, body: renderList(base, collectTurns(ctx.env)) };
    if (rest === '/assets/page.css') return { status: 200, type: 'text/css; charset=utf-8', body: PAGE_CSS };
    if (rest === '/assets/icon.svg') return { status: 200, type: 'image/svg+xml', body: PAGE_ICON };
    if (rest === '/assets/page.js')
      return { status: 200, type: 'text/javascript; charset=utf-8', body: PAGE_JS };
    const turn = /^\/turn\/([^/]+)$/.exec(rest);
    const key = turn ? decodeURIComponent(turn[1] as string) : undefined;
    const found = key && collectTurns(ctx.env, Number.POSITIVE_INFINITY).find((t) => t.key === key);
    return found
      ? { status: 200, type: HTML, body: renderTurn(base, found) }
      : { status: 404, type: HTML, body: renderNotFound(base) };
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    let answer: Reply;
    try {
      answer = reply(req);
    } catch {
      answer = {
        ...NOT_FOUND,
        status: 500,
        body: 'The traces could not be read; see `infinium-codex status`.\n',
      };
    }
    res.writeHead(answer.status, { 'content-type': answer.type, ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  };
}

/** Where the pages that open the browser are kept: the state folder's `view/`, 0700. */
export function launchDir(env: Env): string {
  return join(statePaths(env).root, 'view');
}

/**
 * Writes the page that sends the browser on to `url`: 0600, readable by the user alone, named after this
 * process. Pages left by a `view` that was killed (their token is dead with their server) are removed.
 */
export function writeLaunchPage(env: Env, url: string): string {
  const dir = launchDir(env);
  ensureDir(dir);
  for (const name of readdirSync(dir)) {
    const pid = /^open-(\d+)\.html$/.exec(name)?.[1];
    if (pid && Number(pid) !== process.pid && !processAlive(Number(pid)))
      rmSync(join(dir, name), { force: true });
  }
  const file = join(dir, `open-${process.pid}.html`);
  const href = escapeHtml(url);
  writeFileAtomic(
    file,
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${href}">
<title>infinium-codex view</title>
</head>
<body><p><a href="${href}">Open the traces kept on this machine</a></p></body>
</html>
`,
  );
  return file;
}

/**
 * Opens `file` (a launch page) in the default browser; its path is all any command line shows. The opener is
 * found as git is (src/git/program.ts), never a project's own (a `bin/xdg-open` that direnv or npx put
 * first on PATH), and runs what it runs from those trusted folders only; none there: the printed URL is enough.
 */
function openBrowser(file: string): void {
  const opener =
    process.platform === 'win32'
      ? { program: 'cmd', path: process.env.PATH ?? '' }
      : trustedProgram(process.platform === 'darwin' ? 'open' : 'xdg-open', process.cwd());
  if (!opener) return;
  const args = process.platform === 'win32' ? ['/c', 'start', '""', file] : [file];
  try {
    // The browser and whatever the opener runs have no use for the agent secret.
    const child = spawn(opener.program, args, {
      detached: true,
      stdio: 'ignore',
      env: { ...withoutAgentSecret(process.env), PATH: opener.path },
    });
    child.on('error', () => {
      // No browser opener here: the URL is printed, which is enough.
    });
    child.unref();
  } catch {
    // as above
  }
}

export async function view(options: ViewOptions, ctx: CliContext): Promise<void> {
  const wanted = parsePort(options.port);
  const token = randomBytes(24).toString('base64url');
  let port = 0;
  const server: Server = createServer(viewHandler(ctx, token, () => port));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UserError(
              `Port ${wanted} is already in use.`,
              'Pick another with --port, or leave it out for a free one.',
            )
          : error,
      ),
    );
    server.listen(wanted, '127.0.0.1', resolve);
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/${token}/`;
  ctx.out.line(url);
  ctx.out.line(ctx.out.dim('Serving the traces kept on this machine; Ctrl-C stops.'));
  const launchPage = options.open === false ? undefined : writeLaunchPage(ctx.env, url);
  if (launchPage) openBrowser(launchPage);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (launchPage) rmSync(launchPage, { force: true });
      server.closeAllConnections();
      server.close(() => resolve());
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
