// One HTTP exchange for the Infinium client over Node's own http/https, the way taken when no proxy is set:
// it loads in a few ms, where undici (which the client needs only for HTTPS_PROXY/HTTP_PROXY, since Node's
// http ignores them) costs about 100 ms of CPU to load and start in every worker. The same guarantees as the
// undici path: a redirect is never followed (Node's http follows none), the body is read up to a cap and the
// rest never, and one deadline covers the whole exchange, body included.
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type ConnectionOptions, createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { HANDED_CA } from './extra-ca';

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

let handed: { ca: string[]; context?: SecureContext } | null | undefined;

/**
 * NODE_EXTRA_CA_CERTS's certificates as the worker's starter handed them over (./extra-ca.ts), after Node's
 * bundled roots: what Node itself trusts with that variable. Undefined without one, where Node read the
 * variable itself, and where the file cannot be read (Node, too, goes on without it then). Read once.
 */
export function handedCa(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  if (handed === undefined) {
    const file = env.NODE_EXTRA_CA_CERTS ? undefined : env[HANDED_CA];
    try {
      handed = file ? { ca: [...rootCertificates, readFileSync(file, 'utf8')] } : null;
    } catch {
      handed = null;
    }
  }
  return handed?.ca;
}

/** One TLS context for every request with the handed certificates: building it parses them all. */
function handedCaContext(): SecureContext | undefined {
  const ca = handedCa();
  if (!ca || !handed) return undefined;
  handed.context ??= createSecureContext({ ca });
  return handed.context;
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
