/**
 * End to end with the three real OpenTelemetry exporters (OTLP/HTTP JSON, OTLP/HTTP protobuf, OTLP/gRPC),
 * each plain and gzip: two services build one trace through real SDK providers, the exporter ships it to
 * the real server process, and the call tree read back must say exactly what the SDK recorded.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type HrTime, type SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { assertCallTree, type CallTree, type SpanNode } from '../helpers/expected.js';
import { getJson, getTrace, hrAdd, makeProvider, metricValue, removeTempDirs, startServer, type ServerHandle } from '../helpers/server.js';

type Compression = NonNullable<NonNullable<ConstructorParameters<typeof HttpJsonExporter>[0]>['compression']>;
type GrpcCompression = NonNullable<NonNullable<ConstructorParameters<typeof GrpcExporter>[0]>['compression']>;

let server: ServerHandle;
let exportedSpans = 0;

before(async () => {
  server = await startServer();
});

after(async () => {
  const exit = await server?.stop();
  removeTempDirs();
  assert.equal(exit?.code, 0, `server exit after SIGTERM\n${exit?.stderr}`);
});

const FRONTEND = 'e2e-frontend';
const BACKEND = 'e2e-backend';

interface BuiltTrace {
  traceId: string;
  spanIds: Record<'root' | 'render' | 'client' | 'charge' | 'publish' | 'consume', string>;
}

/**
 * frontend: GET /checkout (SERVER, OK) → render cart (INTERNAL, event) and POST /charge (CLIENT)
 * backend, under a remote parent with a trace state: charge (SERVER, ERROR, exception, dropped events
 * and attributes) → publish (PRODUCER, links, one dropped) → consume (CONSUMER). Depth 5 across services.
 */
function buildTrace(frontendProvider: ReturnType<typeof makeProvider>, backendProvider: ReturnType<typeof makeProvider>, label: string): BuiltTrace {
  const base: HrTime = [Math.floor(Date.now() / 1000) - 60, 123_456_789];
  const at = (ns: number): HrTime => hrAdd(base, ns);
  const frontend = frontendProvider.provider.getTracer('e2e-frontend-instrumentation', '1.2.3', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const backend = backendProvider.provider.getTracer('e2e-backend-instrumentation', '4.5.6-beta.1');

  const root = frontend.startSpan(
    'GET /checkout',
    {
      kind: SpanKind.SERVER,
      startTime: at(0),
      attributes: {
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'e2e.exporter': label,
        'feature.enabled': true,
        'feature.disabled': false,
        'cart.ratio': 0.125,
        'cart.negative': -17,
        'cart.big': 9_007_199_254_740_991,
        'cart.items': ['sku-1', 'sku-2', 'sku-ü'],
        'cart.quantities': [1, 20, 300],
        'cart.prices': [9.99, 0.5, 1e-7],
        'cart.flags': [true, false, true],
        'unicode.text': 'grüße, 世界 🦆',
        'empty.text': '',
      },
    },
    ROOT_CONTEXT,
  );
  root.setStatus({ code: SpanStatusCode.OK });
  const rootContext = trace.setSpan(ROOT_CONTEXT, root);

  const render = frontend.startSpan('render cart', { kind: SpanKind.INTERNAL, startTime: at(1_000_001) }, rootContext);
  render.addEvent('template.compiled', { 'template.name': 'cart', 'template.bytes': 2048, 'template.cached': true, 'template.ms': 1.25, 'template.parts': ['head', 'body'] }, at(1_500_003));
  render.addEvent('no attributes', at(1_600_007));
  render.end(at(2_000_002));

  const client = frontend.startSpan('POST /charge', { kind: SpanKind.CLIENT, startTime: at(3_000_003), attributes: { 'server.port': 8443, 'url.full': 'https://payments/charge' } }, rootContext);

  // What the backend extracts from the traceparent/tracestate headers the client sent.
  const remote: SpanContext = {
    traceId: client.spanContext().traceId,
    spanId: client.spanContext().spanId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=e2e-value,ot=th:0'),
  };
  const charge = backend.startSpan(
    'charge',
    {
      kind: SpanKind.SERVER,
      startTime: at(4_000_004),
      attributes: { 'payment.amount': 19.98, 'payment.currency': 'EUR', 'payment.attempt': 1, 'payment.3ds': false, 'payment.tags': ['a', 'b'], 'over.limit.1': 'x', 'over.limit.2': 'y' },
    },
    trace.setSpanContext(ROOT_CONTEXT, remote),
  );
  // eventCountLimit 3: the SDK drops the oldest event.
  charge.addEvent('dropped as the oldest event', at(4_050_000));
  charge.recordException(new Error('card declined'), at(4_100_000));
  charge.addEvent('retry', { attempt: 2, 'retry.delay_ms': 12.5, 'retry.reason': 'timeout', dropped: 'yes' }, at(4_200_000));
  charge.addEvent('last event', at(4_300_000));
  charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined by issuer' });
  const chargeContext = trace.setSpan(ROOT_CONTEXT, charge);

  const publish = backend.startSpan(
    'publish payment.captured',
    {
      kind: SpanKind.PRODUCER,
      startTime: at(5_000_005),
      links: [
        { context: { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', traceFlags: TraceFlags.NONE }, attributes: { 'dropped as the oldest': true } },
        { context: render.spanContext(), attributes: { 'link.reason': 'follows render', 'link.count': 3, 'link.over': 'dropped' } },
        { context: remote, attributes: { 'link.reason': 'caller' } },
      ],
    },
    chargeContext,
  );
  const consume = backend.startSpan('consume payment.captured', { kind: SpanKind.CONSUMER, startTime: at(6_000_006) }, trace.setSpan(ROOT_CONTEXT, publish));
  consume.end(at(7_000_007));
  publish.end(at(8_000_008));
  charge.end(at(9_000_009));
  client.end(at(10_000_010));
  root.end(at(12_345_678_901));

  return {
    traceId: root.spanContext().traceId,
    spanIds: {
      root: root.spanContext().spanId,
      render: render.spanContext().spanId,
      client: client.spanContext().spanId,
      charge: charge.spanContext().spanId,
      publish: publish.spanContext().spanId,
      consume: consume.spanContext().spanId,
    },
  };
}

const EXPORTERS: Array<{ label: string; make: (server: ServerHandle, gzip: boolean) => SpanExporter }> = [
  {
    label: 'OTLP/HTTP JSON (exporter-trace-otlp-http)',
    make: (s, gzip) => new HttpJsonExporter({ url: `${s.otlpHttpUrl}/v1/traces`, compression: (gzip ? 'gzip' : 'none') as Compression }),
  },
  {
    label: 'OTLP/HTTP protobuf (exporter-trace-otlp-proto)',
    make: (s, gzip) => new HttpProtoExporter({ url: `${s.otlpHttpUrl}/v1/traces`, compression: (gzip ? 'gzip' : 'none') as Compression }),
  },
  {
    label: 'OTLP/gRPC (exporter-trace-otlp-grpc)',
    make: (s, gzip) => new GrpcExporter({ url: s.otlpGrpcUrl, compression: (gzip ? 'gzip' : 'none') as GrpcCompression }),
  },
];

for (const { label, make } of EXPORTERS) {
  describe(label, () => {
    for (const gzip of [false, true]) {
      test(`${gzip ? 'gzip' : 'uncompressed'}: every field of every span comes back as the SDK recorded it`, async () => {
        const frontend = makeProvider(
          { 'service.name': FRONTEND, 'service.version': '2.0.1', 'host.cpu.count': 8, 'deployment.canary': false, 'process.command_args': ['node', 'shop.js'], 'host.load': 0.75 },
          make(server, gzip),
        );
        const backend = makeProvider(
          { 'service.name': BACKEND, 'service.instance.id': `backend-${gzip}`, 'process.pid': 4242 },
          make(server, gzip),
          { attributeCountLimit: 6, eventCountLimit: 3, linkCountLimit: 2, attributePerEventCountLimit: 3, attributePerLinkCountLimit: 2 },
        );
        try {
          const built = buildTrace(frontend, backend, `${label} ${gzip}`);
          const spans = [...(await frontend.flush()), ...(await backend.flush())];
          frontend.exporter.assertAllSucceeded();
          backend.exporter.assertAllSucceeded();
          assert.equal(spans.length, 6);
          assert.equal(frontend.exporter.exportedSpans + backend.exporter.exportedSpans, 6, 'all six spans went through the real exporters');
          exportedSpans += 6;

          // The test must exercise what it claims to: dropped counts, remote parent, trace state, every kind.
          const charge = spans.find((s) => s.spanContext().spanId === built.spanIds.charge)!;
          const publish = spans.find((s) => s.spanContext().spanId === built.spanIds.publish)!;
          assert.ok(charge.droppedAttributesCount > 0 && charge.droppedEventsCount > 0, 'the SDK dropped attributes and events on "charge"');
          assert.ok(publish.droppedLinksCount > 0 && publish.links.some((l) => (l.droppedAttributesCount ?? 0) > 0), 'the SDK dropped a link and link attributes');
          assert.ok(charge.events.some((e) => (e.droppedAttributesCount ?? 0) > 0), 'the SDK dropped event attributes');
          assert.equal(charge.spanContext().traceState?.serialize(), 'vendor=e2e-value,ot=th:0');
          assert.deepEqual(new Set(spans.map((s) => s.kind)), new Set([SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER]));

          // An export is answered only once its spans are committed: no waiting here.
          const tree = await getTrace<CallTree>(server.queryUrl, built.traceId);
          assertCallTree(tree, spans, built.traceId);

          // The same facts spelled out literally, so that a shared mistake in the oracle cannot hide them.
          const node = (id: string): SpanNode => tree.spans.find((s) => s.spanId === id)!;
          const attr = (n: SpanNode, key: string) => n.attributes.find((a) => a.key === key);
          const root = node(built.spanIds.root);
          assert.deepEqual(attr(root, 'http.response.status_code'), { key: 'http.response.status_code', type: 'int', value: 200 });
          assert.deepEqual(attr(root, 'cart.negative'), { key: 'cart.negative', type: 'int', value: -17 });
          assert.deepEqual(attr(root, 'cart.big'), { key: 'cart.big', type: 'int', value: 9_007_199_254_740_991 });
          assert.deepEqual(attr(root, 'cart.ratio'), { key: 'cart.ratio', type: 'double', value: 0.125 });
          assert.deepEqual(attr(root, 'feature.enabled'), { key: 'feature.enabled', type: 'bool', value: true });
          assert.deepEqual(attr(root, 'unicode.text'), { key: 'unicode.text', type: 'string', value: 'grüße, 世界 🦆' });
          assert.deepEqual(attr(root, 'cart.quantities'), {
            key: 'cart.quantities',
            type: 'array',
            value: [{ type: 'int', value: 1 }, { type: 'int', value: 20 }, { type: 'int', value: 300 }],
          });
          assert.deepEqual(attr(root, 'cart.prices'), {
            key: 'cart.prices',
            type: 'array',
            value: [{ type: 'double', value: 9.99 }, { type: 'double', value: 0.5 }, { type: 'double', value: 1e-7 }],
          });
          assert.equal(root.kind, 'SERVER');
          assert.deepEqual(root.status, { code: 'OK', message: '' });
          assert.equal(BigInt(root.durationNs), 12_345_678_901n);
          assert.equal(BigInt(root.startTimeUnixNano) % 1_000_000_000n, 123_456_789n, 'nanoseconds survive');
          assert.equal(root.flags, 0x101, 'sampled, has-is-remote, local parent');
          const chargeNode = node(built.spanIds.charge);
          assert.equal(chargeNode.depth, 2);
          assert.equal(chargeNode.service, BACKEND);
          assert.equal(chargeNode.parentSpanId, built.spanIds.client);
          assert.equal(chargeNode.flags, 0x301, 'sampled, remote parent');
          assert.deepEqual(chargeNode.status, { code: 'ERROR', message: 'card declined by issuer' });
          assert.equal(chargeNode.traceState, 'vendor=e2e-value,ot=th:0');
          assert.ok(chargeNode.events.some((e) => e.name === 'exception' && e.attributes.some((a) => a.key === 'exception.message' && a.value === 'card declined')));
          assert.equal(node(built.spanIds.consume).depth, 4);
          assert.equal(tree.depth, 5);
          assert.deepEqual(node(built.spanIds.root).childSpanIds, [built.spanIds.render, built.spanIds.client]);
          assert.equal(node(built.spanIds.publish).links.find((l) => l.spanId === built.spanIds.render)?.traceId, built.traceId);
          assert.deepEqual(tree.services.map((s) => [s.service, s.spanCount, s.errorCount]), [[BACKEND, 3, 1], [FRONTEND, 3, 0]]);
          assert.equal(tree.errorCount, 1);
        } finally {
          await frontend.shutdown();
          await backend.shutdown();
        }
      });
    }
  });
}

describe('query API after the exports', () => {
  test('/api/v1/services lists both services once', async () => {
    const response = await getJson<{ services: string[] }>(`${server.queryUrl}/api/v1/services`);
    assert.equal(response.status, 200);
    assert.ok(Array.isArray(response.body.services));
    assert.ok(response.body.services.includes(FRONTEND), JSON.stringify(response.body));
    assert.ok(response.body.services.includes(BACKEND), JSON.stringify(response.body));
    assert.equal(new Set(response.body.services).size, response.body.services.length, 'no duplicates');
  });

  test('/metrics counts exactly the spans the exporters delivered', async () => {
    const response = await fetch(`${server.queryUrl}/metrics`);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.ok(exportedSpans > 0);
    assert.equal(metricValue(text, 'ducktrace_spans_stored_total'), exportedSpans, text);
  });

  test('/healthz answers', async () => {
    const response = await getJson<{ status: string }>(`${server.queryUrl}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'ok');
  });
});
