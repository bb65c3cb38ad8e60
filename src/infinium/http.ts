// One HTTP exchange for the Infinium client over Node's own http/https, the way taken when no proxy is set:
// it loads in a few ms, where undici (which the client needs only for HTTPS_PROXY/HTTP_PROXY, since Node's
// http ignores them) costs about 100 ms of CPU to load and start in every worker. The same guarantees as the
// undici path: a redirect is never followed (Node's http follows none), the body is read up to a cap and the
// rest never, and one deadline covers the whole exchange, body included.
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type ConnectionOptions, createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

/** A response as far as it was read. */
export interface Answer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
  /** The body went on past the cap; reading stopped there. */
  overflowed: boolean;
}

export interface ExchangeInit {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
}

/** The exchange took longer than its deadline. */
export class ExchangeTimeout extends Error {
  constructor() {
    super('the request timed out');
    this.name = 'TimeoutError';
  }
}

/** Node's own error (with its system or TLS `code`) on failure; ExchangeTimeout past the deadline. */
export function exchange(url: string, init: ExchangeInit): Promise<Answer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Answer>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const headers = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    // Passed on to tls.connect, which https.request's options do not declare.
    const tls: ConnectionOptions = {
      secureContext: target.protocol === 'https:' ? handedCaContext() : undefined,
    };
    const request = send(target, { method: init.method, headers, ...tls }, (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (overflowed: boolean) =>
        settle(() => {
          const body = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: { get: (name) => headerValue(response, name) },
            text: (overflowed ? body.subarray(0, init.maxBytes) : body).toString('utf8'),
            overflowed,
          });
        });
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.byteLength;
        if (size > init.maxBytes) {
          done(true);
          request.destroy();
        }
      });
      response.on('end', () => done(false));
      response.on('error', (error) => settle(() => reject(error)));
      // Closed before its end (the server went away mid-answer): what came is not the answer.
      response.on('close', () =>
        settle(() =>
          reject(Object.assign(new Error('the connection closed mid-answer'), { code: 'ECONNRESET' })),
        ),
      );
    });
    timer = setTimeout(() => {
      settle(() => reject(new ExchangeTimeout()));
      request.destroy();
    }, init.timeoutMs);
    request.on('error', (error) => settle(() => reject(error)));
    request.end(init.body);
  });
}

let handed: SecureContext | null | undefined;

/**
 * A TLS context that trusts Node's bundled roots and the certificates of the NODE_EXTRA_CA_CERTS file the
 * worker's starter handed over (./extra-ca.ts): what Node trusts with that variable. Undefined without one,
 * where Node read the variable itself, and where the file cannot be read or parsed (Node, too, goes on
 * without it then). Built once. The file's copies of certificates already among the roots (a system bundle repeats
 * most of them) are left out, and the rest is added to Node's default context, whose roots are parsed
 * once per process, the way Node adds a `ca` option; the `ca` option itself would replace the roots, and
 * giving them again parses them all again (about 40 ms of CPU; used only where that way is missing).
 */
export function handedCaContext(env: NodeJS.ProcessEnv = process.env): SecureContext | undefined {
  if (handed === undefined) {
    const file = env.NODE_EXTRA_CA_CERTS ? undefined : env.INFINIUM_CODEX_EXTRA_CA_CERTS;
    try {
      handed = file ? contextWith(beyondRoots(readFileSync(file, 'utf8'))) : null;
    } catch {
      handed = null;
    }
  }
  return handed ?? undefined;
}

function contextWith(extra: string): SecureContext {
  const context = createSecureContext();
  const native = (context as { context?: { addCACert?: (pem: string) => void } }).context;
  if (typeof native?.addCACert !== 'function')
    return createSecureContext({ ca: [...rootCertificates, extra] });
  if (extra.includes('-----BEGIN')) native.addCACert(extra);
  return context;
}

/** `pem` without the certificates that are among Node's roots, byte for byte; everything else kept as it is. */
function beyondRoots(pem: string): string {
  const body = (block: string) => block.replace(/-----[^-]+-----|\s/g, '');
  const roots = new Set(rootCertificates.map(body));
  return pem.replace(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g, (block) =>
    roots.has(body(block)) ? '' : block,
  );
}

function headerValue(response: IncomingMessage, name: string): string | null {
  const value = response.headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}

/** `localhost`, 127.0.0.0/8 or ::1, as a URL's hostname writes them; a name under .localhost is looked up in DNS. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname === '[::1]'
  );
}

/**
 * The proxy from the environment for calls to `baseUrl` (the variables undici's EnvHttpProxyAgent reads,
 * lower case first; NO_PROXY is then applied by undici), or undefined. Never for this machine, as with
 * NO_PROXY=localhost,127.0.0.1,::1: plain http to it is allowed because it never leaves the machine.
 */
export function proxyFor(baseUrl: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const url = new URL(baseUrl);
  if (isLoopbackHost(url.hostname)) return undefined;
  const http = (env.http_proxy ?? env.HTTP_PROXY) || undefined;
  return url.protocol === 'https:' ? (env.https_proxy ?? env.HTTPS_PROXY) || http : http;
}
