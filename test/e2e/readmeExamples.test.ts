/**
 * The shell examples of the README and of docs/api.md, run as a reader would run them, against a server filled by `npm run demo`
 * (started the README's way, through npm with the server's own port settings): every `sh` block that
 * calls curl runs whole in bash, each curl must be answered 2xx, and each answer of the query API must
 * hold data (a non-empty list somewhere in it), so the manual cannot drift from what the server does.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, removeTempDirs, startServer, waitForStored, type ServerHandle } from '../helpers/server.js';

const run = promisify(execFile);
const DEMO_TRACES = 150;

/** The fenced `sh` blocks of a Markdown text that call curl. */
function curlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).filter((block) => /(^|\$\(|\|\s*)curl\s/m.test(block));
}

/** True when some array in the JSON value, at any depth, has an element. */
function holdsData(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return Object.values(value).some(holdsData);
  return false;
}

let server: ServerHandle;
let outDir: string;

before(async () => {
  server = await startServer();
  const env: NodeJS.ProcessEnv = { ...process.env, DUCKTRACE_HOST: '127.0.0.1', DUCKTRACE_OTLP_HTTP_PORT: String(server.ports.otlpHttp) };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const demo = await run('npm', ['run', '--silent', 'demo', '--', '--traces', String(DEMO_TRACES)], { cwd: REPO_ROOT, env });
  assert.match(demo.stdout, new RegExp(`Sent ${DEMO_TRACES} traces .* to http://127\\.0\\.0\\.1:${server.ports.otlpHttp}/v1/traces`));
  await waitForStored(server.queryUrl, 10_000);
  outDir = mkdtempSync(path.join(os.tmpdir(), 'ducktrace-readme-'));
});

after(async () => {
  await server?.stop();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
  removeTempDirs();
});

/** The manual: the README and the API reference it links to. */
const MANUAL = ['README.md', 'docs/api.md'];
const blocks = MANUAL.flatMap((file) => curlBlocks(readFileSync(path.join(REPO_ROOT, file), 'utf8')).map((block) => ({ file, block })));

test('the README and the API reference have curl examples to check', () => {
  for (const file of MANUAL) assert.ok(blocks.filter((b) => b.file === file).length >= 5, `${file}: ${blocks.length} blocks`);
});

describe('the manual\'s examples answer with data on a demo-filled server', () => {
  for (const { file, block } of blocks) {
    test(`${file}: ${block.split('\n').find((line) => line.trim() !== '' && !line.startsWith('#'))!.slice(0, 100)}`, async () => {
      const dir = mkdtempSync(path.join(outDir, 'block-'));
      // Every curl goes through a function that fails on an HTTP error and keeps a copy of the answer.
      const prelude = `set -euo pipefail
curl() { local out; out="$(mktemp "${dir}/answer-XXXXXX")"; printf '%s\\n' "$*" > "$out.args"; command curl --silent --show-error --fail-with-body "$@" | tee "$out"; return "\${PIPESTATUS[0]}"; }
`;
      const script = block.replaceAll('localhost:16686', `127.0.0.1:${server.ports.http}`).replaceAll('localhost:4318', `127.0.0.1:${server.ports.otlpHttp}`);
      const result = await run('bash', ['-c', prelude + script], { cwd: REPO_ROOT }).catch((error: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`the block failed: ${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
      });
      const answers = readdirSync(dir).filter((name) => !name.endsWith('.args'));
      assert.ok(answers.length > 0, 'the block ran curl');
      for (const name of answers) {
        const args = readFileSync(path.join(dir, `${name}.args`), 'utf8').trim();
        const body = readFileSync(path.join(dir, name), 'utf8');
        let json: unknown;
        assert.doesNotThrow(() => (json = JSON.parse(body)), `curl ${args} answered JSON: ${body.slice(0, 200)}`);
        if (args.includes(`:${server.ports.http}/`)) {
          assert.ok(holdsData(json), `curl ${args} answered data: ${body.slice(0, 300)}`);
        } else {
          assert.equal((json as { partialSuccess?: { rejectedSpans?: string } }).partialSuccess?.rejectedSpans ?? '0', '0', `curl ${args}: ${body}`);
        }
      }
      assert.equal(result.stderr, '', 'nothing on stderr');
    });
  }
});
