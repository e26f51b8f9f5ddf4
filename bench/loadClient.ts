/**
 * One load-generating process of the benchmark: reads pre-encoded OTLP requests from a file (each a
 * uint32 LE length, then the bytes), prints `ready`, waits for a line on stdin, sends them all with
 * `--concurrency` in flight over `--transport` (http-protobuf, http-json, grpc) and prints one JSON
 * line with every request's latency in milliseconds (retries included) and the number of throttled
 * attempts. A throttled export (HTTP 429/503, gRPC UNAVAILABLE) is retried after the delay the server
 * asks for, as the OpenTelemetry SDK's exporters do.
 */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import * as grpc from '@grpc/grpc-js';

const args = process.argv.slice(2);
const option = (name: string): string => {
  const at = args.indexOf(name);
  if (at < 0 || args[at + 1] === undefined) throw new Error(`loadClient: ${name} is required`);
  return args[at + 1]!;
};
const transport = option('--transport');
const port = Number(option('--port'));
const concurrency = Number(option('--concurrency'));

function readRequests(file: string): Buffer[] {
  const bytes = readFileSync(file);
  const requests: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = bytes.readUInt32LE(at);
    requests.push(bytes.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return requests;
}

/** null when the export was stored; otherwise the delay in ms before it may be retried. */
type Send = (body: Buffer) => Promise<number | null>;

function httpSender(contentType: string): Send {
  return async (body) => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { 'content-type': contentType }, body: body as unknown as BodyInit });
    await response.arrayBuffer();
    if (response.status === 200) return null;
    if (response.status === 429 || response.status === 503) return Number(response.headers.get('retry-after') ?? '1') * 1000;
    throw new Error(`export answered ${response.status}`);
  };
}

function grpcSender(client: grpc.Client): Send {
  const identity = (b: Buffer): Buffer => b;
  return (body) =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', identity, identity, body, (error) => {
        if (!error) resolve(null);
        else if (error.code === grpc.status.UNAVAILABLE) resolve(1000);
        else reject(error);
      }),
    );
}

const requests = readRequests(option('--file'));
const client = transport === 'grpc' ? new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 }) : null;
const send = client ? grpcSender(client) : httpSender(transport === 'http-json' ? 'application/json' : 'application/x-protobuf');

console.log('ready');
await once(process.stdin, 'data');
const latencies: number[] = [];
let throttled = 0;
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < requests.length) {
      const body = requests[next++]!;
      const started = performance.now();
      for (let delay = await send(body); delay !== null; delay = await send(body)) {
        throttled++;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      latencies.push(performance.now() - started);
    }
  }),
);
client?.close();
console.log(JSON.stringify({ latencies, throttled }));
process.exit(0);
