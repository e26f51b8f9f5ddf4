import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, textLine, type LogLevel } from './logger.js';

function entries(level: LogLevel, log: (logger: ReturnType<typeof createLogger>) => void): Array<Record<string, unknown>> {
  const lines: string[] = [];
  log(createLogger(level, (line) => lines.push(line)));
  return lines.map((line) => {
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), `one line per entry: ${JSON.stringify(line)}`);
    return JSON.parse(line) as Record<string, unknown>;
  });
}

test('an entry is a JSON line with the level by name, an ISO time, the message and its fields', () => {
  const [entry, ...rest] = entries('info', (logger) => logger.child({ component: 'wal' }).warn({ skippedBytes: 12 }, 'damaged record skipped'));
  assert.equal(rest.length, 0);
  assert.deepEqual(Object.keys(entry!).sort(), ['component', 'level', 'msg', 'skippedBytes', 'time']);
  assert.equal(entry!.level, 'warn');
  assert.equal(new Date(entry!.time as string).toISOString(), entry!.time);
  assert.equal(entry!.msg, 'damaged record skipped');
  assert.equal(entry!.component, 'wal');
  assert.equal(entry!.skippedBytes, 12);
});

test('entries below the level are dropped, for children too', () => {
  const logged = entries('warn', (logger) => {
    const child = logger.child({ component: 'query' });
    for (const target of [logger, child]) {
      target.debug('debug');
      target.info('info');
      target.warn('warn');
      target.error('error');
    }
  });
  assert.deepEqual(
    logged.map((e) => e.msg),
    ['warn', 'error', 'warn', 'error'],
  );
  assert.deepEqual(
    entries('trace', (logger) => logger.trace('fine')).map((e) => e.level),
    ['trace'],
  );
});

test('a level set later (a reload) applies to the children made before it', () => {
  const logged = entries('info', (logger) => {
    const child = logger.child({ component: 'query' });
    child.debug('dropped');
    logger.level = 'debug';
    child.debug('kept');
    logger.level = 'error';
    child.warn('dropped too');
  });
  assert.deepEqual(
    logged.map((e) => e.msg),
    ['kept'],
  );
});

test('an authorization header is never logged', () => {
  const [entry] = entries('info', (logger) => logger.info({ req: { headers: { authorization: 'Bearer s3cret', host: 'x' } }, headers: { authorization: 'Bearer s3cret' } }, 'request'));
  assert.doesNotMatch(JSON.stringify(entry), /s3cret/);
  assert.equal((entry!.req as { headers: { host: string } }).headers.host, 'x');
});

test('text: time, the level padded, the message, then the fields as key=value', () => {
  const json = JSON.stringify({ level: 'info', time: '2026-12-04T18:00:00.000Z', msg: 'otlp-http listening on http://127.0.0.1:4318' });
  assert.equal(textLine(json), '2026-12-04T18:00:00.000Z INFO  otlp-http listening on http://127.0.0.1:4318\n');
  const request = JSON.stringify({ level: 'info', time: '2026-12-04T18:00:01.000Z', reqId: 'req-1', method: 'GET', url: '/api/v1/traces?service', statusCode: 400, responseTime: 1.5, msg: 'request completed' });
  assert.equal(textLine(request), '2026-12-04T18:00:01.000Z INFO  request completed reqId=req-1 method=GET url=/api/v1/traces?service statusCode=400 responseTime=1.5\n');
  assert.match(textLine(JSON.stringify({ level: 'error', time: 't', msg: 'x' })), /^t ERROR x\n$/);
});

test('text: whatever a message or field holds, an entry stays on one line', () => {
  const json = JSON.stringify({
    level: 'warn',
    time: 't',
    msg: 'a query failed: Binder Error\nLINE 1: select\r\u0007',
    statement: 'select 1\nfrom spans',
    err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x (y.ts:1:1)' },
    quoted: 'two words',
  });
  const line = textLine(json);
  assert.equal(line.indexOf('\n'), line.length - 1, line);
  assert.equal(
    line,
    't WARN  a query failed: Binder Error\\nLINE 1: select\\r\\u0007 statement="select 1\\nfrom spans" err="Error: boom\\n    at x (y.ts:1:1)" quoted="two words"\n',
  );
});
