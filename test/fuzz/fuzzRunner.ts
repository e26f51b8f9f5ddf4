/**
 * Sends fuzzed bodies to a running server over OTLP/HTTP and OTLP/gRPC and checks every answer is one
 * the OTLP specification allows, well formed, and that the server keeps answering its health check.
 */
import { decodeExportResponse, decodeStatus, grpc, GRPC_EXPORT_PATH } from '../helpers/otlp.js';
import { fuzzBody, type FuzzBody } from './otlpBodies.js';

export interface FuzzFailure {
  seed: number;
  index: number;
  transport: string;
  mutations: string[];
  problem: string;
}

export interface FuzzResult {
  sent: number;
  /** Answers by transport and status, e.g. "http 400": 1234. */
  outcomes: Record<string, number>;
  failures: FuzzFailure[];
}

export interface FuzzTarget {
  otlpHttpUrl: string;
  otlpGrpcAddress: string;
  queryUrl: string;
}

const HTTP_ALLOWED = new Set([200, 400, 413, 415, 429, 503]);
const GRPC_ALLOWED = new Set([grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED, grpc.status.UNAVAILABLE]);
const identity = (bytes: Buffer): Buffer => bytes;
/** The health check is asked after every this many bodies. */
const HEALTH_EVERY = 250;

async function sendHttp(target: FuzzTarget, fuzz: FuzzBody): Promise<{ outcome: string; problem?: string }> {
  const headers: Record<string, string> = {};
  if (fuzz.contentType !== '') headers['content-type'] = fuzz.contentType;
  if (fuzz.gzip) headers['content-encoding'] = 'gzip';
  const response = await fetch(`${target.otlpHttpUrl}/v1/traces`, { method: 'POST', headers, body: new Uint8Array(fuzz.body) });
  const body = Buffer.from(await response.arrayBuffer());
  const outcome = `http ${response.status}`;
  if (!HTTP_ALLOWED.has(response.status)) return { outcome, problem: `status ${response.status}: ${body.toString('utf8').slice(0, 200)}` };
  const json = (response.headers.get('content-type') ?? '').startsWith('application/json');
  try {
    if (response.status === 200) {
      if (json) JSON.parse(body.toString('utf8'));
      else decodeExportResponse(body);
    } else {
      const status = json ? (JSON.parse(body.toString('utf8')) as { code?: unknown; message?: unknown }) : decodeStatus(body);
      if (typeof status.message !== 'string' || status.message === '') return { outcome, problem: `a ${response.status} without a google.rpc.Status message` };
    }
  } catch (error) {
    return { outcome, problem: `a ${response.status} whose body does not decode: ${(error as Error).message}` };
  }
  return { outcome };
}

function sendGrpc(client: grpc.Client, fuzz: FuzzBody): Promise<{ outcome: string; problem?: string }> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(GRPC_EXPORT_PATH, identity, identity, fuzz.body, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (error) => {
      const code = error?.code ?? grpc.status.OK;
      const outcome = `grpc ${grpc.status[code]}`;
      resolve(GRPC_ALLOWED.has(code) ? { outcome } : { outcome, problem: `gRPC status ${grpc.status[code]}: ${error?.details}` });
    });
  });
}

/** Bodies `from` .. `from + count - 1` of run `seed`, `concurrency` at a time. */
export async function runFuzz(target: FuzzTarget, options: { seed: number; from?: number; count: number; concurrency?: number; onProgress?: (sent: number) => void }): Promise<FuzzResult> {
  const from = options.from ?? 0;
  const result: FuzzResult = { sent: 0, outcomes: {}, failures: [] };
  const client = new grpc.Client(target.otlpGrpcAddress, grpc.credentials.createInsecure());
  let next = from;
  const end = from + options.count;
  const worker = async (): Promise<void> => {
    while (next < end) {
      const index = next++;
      const fuzz = fuzzBody(options.seed, index);
      let answer: { outcome: string; problem?: string };
      try {
        answer = fuzz.transport === 'grpc' ? await sendGrpc(client, fuzz) : await sendHttp(target, fuzz);
      } catch (error) {
        answer = { outcome: 'no answer', problem: `no answer: ${(error as Error).message}` };
      }
      result.sent++;
      result.outcomes[answer.outcome] = (result.outcomes[answer.outcome] ?? 0) + 1;
      if (answer.problem) result.failures.push({ seed: options.seed, index, transport: fuzz.transport, mutations: fuzz.mutations, problem: answer.problem });
      if (result.sent % HEALTH_EVERY === 0) {
        options.onProgress?.(result.sent);
        const health = await fetch(`${target.queryUrl}/healthz`).then((r) => r.status, (error: Error) => error.message);
        if (health !== 200) result.failures.push({ seed: options.seed, index, transport: fuzz.transport, mutations: fuzz.mutations, problem: `/healthz answered ${health} after this body` });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  } finally {
    client.close();
  }
  return result;
}

/** One line a failure is reproduced from. */
export function describeFailure(failure: FuzzFailure): string {
  return `seed ${failure.seed} index ${failure.index} (${failure.transport}; ${failure.mutations.join(', ')}): ${failure.problem} — reproduce with npm run fuzz -- --seed ${failure.seed} --from ${failure.index} --count 1`;
}
