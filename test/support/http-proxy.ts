// A minimal forward proxy on 127.0.0.1 (CONNECT tunnels and absolute-form HTTP requests), to prove the
// client honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY. It records each target it was asked to reach, and the
// bytes clients sent it (through tunnels too). `hosts` maps names that resolve nowhere (infinium.test) to
// the address the proxy reaches them at, as a proxy on another machine would resolve them; `refuse` makes
// it refuse every CONNECT: `close` accepts then closes it, a number answers that status, `silent` never
// answers.
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

export interface TestProxy {
  url: string;
  /** host:port of every target requested through the proxy. */
  targets: string[];
  /** Every byte clients sent the proxy, through tunnels included. */
  receivedBytes(): Buffer;
  /** Connections to the proxy that the client has not closed. */
  openConnections(): number;
  close(): Promise<void>;
}

export interface ProxyOptions {
  hosts?: Record<string, string>;
  refuse?: 'close' | 'silent' | number;
}

export async function startProxy(options: ProxyOptions = {}): Promise<TestProxy> {
  const targets: string[] = [];
  const received: Buffer[] = [];
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const address = (host: string) => options.hosts?.[host] ?? host;
  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? '');
    targets.push(target.host);
    const upstream = request(
      {
        host: address(target.hostname),
        port: target.port,
        path: target.pathname + target.search,
        method: req.method,
        headers: req.headers,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.on('connect', (req, clientSocket: Socket, head: Buffer) => {
    targets.push(req.url ?? '');
    sockets.add(clientSocket);
    clientSocket.on('error', () => {});
    if (options.refuse === 'close') return clientSocket.destroy();
    if (options.refuse === 'silent') return;
    if (typeof options.refuse === 'number') {
      return clientSocket.end(`HTTP/1.1 ${options.refuse} Refused\r\nContent-Length: 0\r\n\r\n`);
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), address(host ?? '127.0.0.1'), () => {
      clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(clientSocket);
      clientSocket.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => clientSocket.destroy());
    clientSocket.on('error', () => upstream.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    clients.add(socket);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    // The client's end of it closed: 'end' (the server side stays half-open, as http servers keep it).
    for (const event of ['end', 'close']) socket.on(event, () => clients.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    receivedBytes: () => Buffer.concat(received),
    openConnections: () => clients.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
