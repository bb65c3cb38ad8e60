// Codex's own timing of what it runs, read from the OpenTelemetry spans it exports. Codex 0.171 wraps each
// hook command it runs in a span `codex.hooks.command` (attribute `hook.event_name`) from the spawn until
// the hook has exited and its output is read, on the agent's critical path: Codex's own, per-hook record of
// what a hook cost, free of the turn's other noise (model, tools). We receive the spans as OTLP/HTTP protobuf on
// 127.0.0.1, configured through config.toml's `[otel] trace_exporter` (Codex 0.171; checked in its binary
// and by a run).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One finished span: name, attributes (string values), start and duration in ms (Unix epoch). */
export interface Span {
  name: string;
  spanId: string;
  parentSpanId: string;
  startMs: number;
  durationMs: number;
  attributes: Record<string, string>;
}

/** A hook run as Codex timed it. */
export interface HookRun {
  event: string;
  durationMs: number;
  /** `hook.command_outcome`: `completed` for a hook that exited on its own. */
  outcome: string;
}

export interface SpanCollector {
  /** A TOML table for Codex's config.toml: `[otel]`, exporting traces here. */
  configTable: string;
  /**
   * The spans received since the previous call, once Codex's exports have settled (nothing new for
   * `quietMs`): Codex flushes its last batch as it exits, and the request may land just after.
   */
  take(quietMs?: number): Promise<Span[]>;
  close(): Promise<void>;
}

type Fields = Map<number, (bigint | Uint8Array)[]>;

/**
 * The fields of one protobuf message: field number to its values (varints and fixed64s as bigint,
 * length-delimited fields as bytes). Enough of the wire format for OTLP's ExportTraceServiceRequest.
 */
function fields(bytes: Uint8Array): Fields {
  const out: Fields = new Map();
  let at = 0;
  const varint = () => {
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('truncated protobuf varint');
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
      shift += 7n;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const [field, wire] = [key >>> 3, key & 7];
    let value: bigint | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) {
      value = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0, true);
      at += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      value = bytes.subarray(at, at + length);
      at += length;
    } else if (wire === 5) {
      value = BigInt(new DataView(bytes.buffer, bytes.byteOffset + at, 4).getUint32(0, true));
      at += 4;
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const messages = (map: Fields, field: number) =>
  (map.get(field) ?? []).filter((value): value is Uint8Array => value instanceof Uint8Array);
const bytesOf = (map: Fields, field: number) => Buffer.from(messages(map, field)[0] ?? new Uint8Array());
const utf8 = (map: Fields, field: number) => bytesOf(map, field).toString('utf8');
const hex = (map: Fields, field: number) => bytesOf(map, field).toString('hex');
const fixed64 = (map: Fields, field: number) => {
  const value = (map.get(field) ?? [])[0];
  return typeof value === 'bigint' ? value : 0n;
};

/** An AnyValue's scalar as text (string 1, bool 2, int 3; other kinds are not needed here). */
function anyValue(bytes: Uint8Array): string {
  const value = fields(bytes);
  if (value.has(1)) return utf8(value, 1);
  const scalar = (value.get(2) ?? value.get(3) ?? [])[0];
  if (typeof scalar === 'bigint') return value.has(2) ? String(scalar !== 0n) : String(scalar);
  return '';
}

/**
 * The spans of one OTLP ExportTraceServiceRequest in protobuf (opentelemetry-proto trace.proto:
 * resource_spans 1 > scope_spans 2 > spans 2; a span's span_id 2, parent_span_id 4, name 5,
 * start_time_unix_nano 7, end_time_unix_nano 8, attributes 9 as KeyValue{key 1, value 2}).
 */
export function decodeSpans(body: Uint8Array): Span[] {
  const spans: Span[] = [];
  for (const resource of messages(fields(body), 1))
    for (const scope of messages(fields(resource), 2))
      for (const raw of messages(fields(scope), 2)) {
        const span = fields(raw);
        const attributes: Record<string, string> = {};
        for (const pair of messages(span, 9)) {
          const entry = fields(pair);
          const key = utf8(entry, 1);
          const value = messages(entry, 2)[0];
          attributes[key] = value ? anyValue(value) : '';
        }
        const startNs = fixed64(span, 7);
        spans.push({
          name: utf8(span, 5),
          spanId: hex(span, 2),
          parentSpanId: hex(span, 4),
          startMs: Number(startNs / 1000n) / 1000,
          durationMs: Number((fixed64(span, 8) - startNs) / 1000n) / 1000,
          attributes,
        });
      }
  return spans;
}

/** An OTLP/HTTP (protobuf) trace receiver on 127.0.0.1 and a random port. */
export async function startSpanCollector(): Promise<SpanCollector> {
  let pending: Span[] = [];
  let lastArrival = 0;
  let failure: Error | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      lastArrival = performance.now();
      try {
        pending.push(...decodeSpans(Buffer.concat(chunks)));
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      } catch (error) {
        failure ??= error as Error;
        res.writeHead(400);
      }
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}/v1/traces`;
  return {
    configTable: `[otel]\ntrace_exporter = { otlp-http = { endpoint = "${endpoint}", protocol = "binary" } }\n`,
    async take(quietMs = 300) {
      while (performance.now() - lastArrival < quietMs)
        await new Promise((resolve) => setTimeout(resolve, quietMs));
      if (failure) throw new Error(`Codex sent a trace export we could not read: ${failure.message}`);
      const spans = pending;
      pending = [];
      return spans;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The hook runs among `spans`, in the order Codex started them. */
export function hookRuns(spans: Span[]): HookRun[] {
  return spans
    .filter((span) => span.name === 'codex.hooks.command')
    .sort((a, b) => a.startMs - b.startMs)
    .map((span) => ({
      event: span.attributes['hook.event_name'] ?? 'unknown',
      durationMs: span.durationMs,
      outcome: span.attributes['hook.command_outcome'] ?? 'unknown',
    }));
}
