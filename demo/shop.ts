/**
 * `npm run demo`: sends realistic traces of a small web shop to a running
 * ducktrace, through the real OpenTelemetry JS SDK and the OTLP/HTTP protobuf
 * exporter, exactly as an instrumented application would.
 *
 * Five services (frontend, checkout, cart, payment, inventory) each get their
 * own TracerProvider and Resource, so every span carries the resource of the
 * service that emitted it. Nothing sleeps: each request is laid out on a
 * simulated clock that spans the last few minutes, and spans get explicit
 * start and end times, with every child inside its parent's time range.
 *
 * Request types and the depth of their call trees (spans on the longest
 * root-to-leaf path; a hop between services is a CLIENT plus a SERVER span):
 *   1  GET /health             frontend alone
 *   3  GET /api/cart/count     frontend -> cart
 *   5  POST /api/cart/items    frontend -> cart -> inventory, plus redis
 *   10 POST /api/checkout      frontend -> checkout -> cart -> inventory -> postgresql,
 *                              plus inventory, payment, card gateway, postgresql and redis
 * About 5% of requests fail (the error propagates up to the root) and about
 * 5% of those with a downstream call have one call that takes 1-3 s.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from "@opentelemetry/api";
// @opentelemetry/core is not a direct dependency, but the SDK depends on it and
// it is the only package exporting the ExportResultCode an exporter reports.
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from "@opentelemetry/sdk-trace-base";
import { DEFAULT_OTLP_HTTP_PORT, demoEndpoint } from "./endpoint.js";

// ---------------------------------------------------------------------------
// Command line

const DEFAULT_TRACES = 200;

const USAGE = `Usage: npm run demo -- [--endpoint URL] [--traces N]

Sends simulated web-shop traces to a running ducktrace over OTLP/HTTP (protobuf).

Options:
  --endpoint URL  OTLP/HTTP base URL; spans are POSTed to URL/v1/traces
                  (default: $OTEL_EXPORTER_OTLP_ENDPOINT, else the server at
                  $DUCKTRACE_HOST and $DUCKTRACE_OTLP_HTTP_PORT, else
                  http://localhost:${DEFAULT_OTLP_HTTP_PORT})
  --traces N      number of traces to send (default: ${DEFAULT_TRACES})
  -h, --help      show this help`;

interface Options {
  endpoint: string;
  traces: number;
}

class UsageError extends Error {}

/** The options, or "help" when usage was asked for. */
function parseOptions(argv: string[]): Options | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        endpoint: { type: "string" },
        traces: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return "help";
  const endpoint = demoEndpoint(values.endpoint, process.env);
  if (!URL.canParse(endpoint)) throw new UsageError(`invalid endpoint URL: ${endpoint}`);
  const traces = values.traces === undefined ? DEFAULT_TRACES : Number(values.traces);
  if (!Number.isSafeInteger(traces) || traces < 1) {
    throw new UsageError(`--traces must be a positive integer, got: ${values.traces}`);
  }
  return { endpoint, traces };
}

/** Per the OTLP exporter spec, the signal path is appended to the base endpoint. */
function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
}

// ---------------------------------------------------------------------------
// Randomness

function uniform(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

function randomInt(min: number, max: number): number {
  return Math.floor(uniform(min, max + 1));
}

function chance(probability: number): boolean {
  return Math.random() < probability;
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

/** Standard normal variate (Box-Muller). */
function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

/** Real latencies are skewed with a long tail; a log-normal around the median mimics that. */
function logNormal(medianMs: number, sigma = 0.5): number {
  return medianMs * Math.exp(sigma * gaussian());
}

// ---------------------------------------------------------------------------
// The shop's topology

const SERVICES = {
  frontend: { version: "2.14.0", host: "frontend-7d9c5b8f4-qx2lp" },
  checkout: { version: "1.8.3", host: "checkout-5f6b9d7c8-m4kzt" },
  cart: { version: "3.2.1", host: "cart-6c8d4f9b7-h7wns" },
  payment: { version: "1.3.0", host: "payment-84b7c6d5f-r2vxj" },
  inventory: { version: "0.9.12", host: "inventory-7b5d8c9f6-tj6pq" },
} as const;

type ServiceName = keyof typeof SERVICES;

const HTTP_PORT = 8080;
const GRPC_PORT = 50051;

/** The far side of an outgoing HTTP call. */
interface Peer {
  service: string;
  address: string;
  port: number;
  scheme: "http" | "https";
}

/** An external API: called over HTTPS, never instrumented, so it has no SERVER span. */
const CARD_GATEWAY: Peer = {
  service: "card-gateway",
  address: "api.cardgateway.example",
  port: 443,
  scheme: "https",
};

/** An HTTP request line: the route template and the concrete path that matched it. */
interface HttpRequest {
  method: string;
  route: string;
  path: string;
}

/** Fills in a route template's {placeholders} to get the concrete path. */
function request(method: string, route: string, params: Record<string, string> = {}): HttpRequest {
  const path = route.replace(/\{(\w+)\}/g, (placeholder, name: string) => params[name] ?? placeholder);
  return { method, route, path };
}

interface Datastore {
  system: "postgresql" | "redis";
  address: string;
  port: number;
  namespace: string;
}

const POSTGRES: Datastore = {
  system: "postgresql",
  address: "postgres.shop.internal",
  port: 5432,
  namespace: "shop",
};
const REDIS: Datastore = { system: "redis", address: "redis.shop.internal", port: 6379, namespace: "0" };

interface Statement {
  operation: string;
  /** Table for SQL; Redis commands have no collection. */
  collection?: string;
  text: string;
}

const SKUS = ["SKU-1042-MUG", "SKU-2210-TEE", "SKU-3307-CAP", "SKU-4451-BAG", "SKU-5120-PEN"] as const;

const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
] as const;

// ---------------------------------------------------------------------------
// Export plumbing

/** What the exporters reported back; the SDK itself swallows export failures. */
interface ExportStats {
  exportedSpans: number;
  firstError?: Error;
}

/** Passes spans through to the real exporter and records the result it reports. */
class ResultRecordingExporter implements SpanExporter {
  constructor(
    private readonly delegate: SpanExporter,
    private readonly stats: ExportStats,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.delegate.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        this.stats.exportedSpans += spans.length;
      } else {
        this.stats.firstError ??= result.error ?? new Error("export failed");
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.delegate.shutdown();
  }

  async forceFlush(): Promise<void> {
    await this.delegate.forceFlush?.();
  }
}

function createProvider(service: ServiceName, url: string, stats: ExportStats): BasicTracerProvider {
  const { version, host } = SERVICES[service];
  const resource = defaultResource().merge(
    resourceFromAttributes({
      "service.name": service,
      "service.version": version,
      "service.instance.id": randomUUID(),
      "deployment.environment.name": "demo",
      "host.name": host,
    }),
  );
  const exporter = new ResultRecordingExporter(new OTLPTraceExporter({ url }), stats);
  return new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
}

// ---------------------------------------------------------------------------
// Building one trace

/** Raised where a failing request breaks; it unwinds through every span up to the root. */
class SimulatedFailure extends Error {
  /** The exception is recorded only on the span that raised it; callers just see an error status. */
  recorded = false;

  /** `frame` is where the simulated service threw; the demo's own stack would only confuse. */
  constructor(name: string, message: string, frame: string) {
    super(message);
    this.name = name;
    this.stack = `${name}: ${message}\n    at ${frame}`;
  }
}

/** What goes wrong in one request, decided before it is built. */
interface Scenario {
  fails: boolean;
  slow: boolean;
}

type Body = (ctx: Context, span: Span) => void;

interface SpanSpec {
  kind: SpanKind;
  attributes: Attributes;
  links?: Link[];
  /** Median of the span's own time around its body: network, parsing, serialization. */
  overheadMs: number;
  /** Attributes only known once the call has finished, such as status codes. */
  outcome?: (failed: boolean) => Attributes;
}

/**
 * Lays out one request on a simulated clock. Spans are opened at the current
 * time, their bodies advance the clock (own work, nested calls), and they end
 * at the time the body left off, so children always sit inside their parent.
 * The parent context is passed explicitly, which is what links spans across
 * the services' separate TracerProviders.
 */
class TraceBuilder {
  /** Whether this request's stall point actually stalled. */
  stalled = false;

  constructor(
    private readonly tracers: Record<ServiceName, Tracer>,
    private readonly scenario: Scenario,
    private now: number,
  ) {}

  /** Own work of the current span. */
  work(medianMs: number): void {
    this.now += logNormal(medianMs);
  }

  /** The request's single stall point: in a slow request this call takes 1-3 s. */
  workOrStall(medianMs: number): void {
    if (this.scenario.slow) {
      this.stalled = true;
      this.now += uniform(1000, 3000);
    } else {
      this.work(medianMs);
    }
  }

  /** The request's single failure point: in a failing request it breaks here. */
  failHere(name: string, message: string, frame: string): void {
    if (this.scenario.fails) throw new SimulatedFailure(name, message, frame);
  }

  event(span: Span, name: string, attributes: Attributes): void {
    span.addEvent(name, attributes, this.now);
  }

  /** An incoming HTTP request. */
  httpServer(service: ServiceName, req: HttpRequest, parent: Context, body: Body, attributes: Attributes = {}): void {
    const spec: SpanSpec = {
      kind: SpanKind.SERVER,
      attributes: {
        "http.request.method": req.method,
        "http.route": req.route,
        "url.path": req.path,
        "url.scheme": "http",
        "network.protocol.version": "1.1",
        ...attributes,
      },
      overheadMs: 0.3,
      outcome: httpOutcome,
    };
    this.span(service, `${req.method} ${req.route}`, spec, parent, body);
  }

  /** An outgoing HTTP request; `body` is what happens on the far side. */
  httpClient(from: ServiceName, peer: Peer, req: HttpRequest, parent: Context, body: Body): void {
    const defaultPort = peer.scheme === "https" ? 443 : 80;
    const authority = peer.port === defaultPort ? peer.address : `${peer.address}:${peer.port}`;
    const spec: SpanSpec = {
      kind: SpanKind.CLIENT,
      attributes: {
        "http.request.method": req.method,
        "url.full": `${peer.scheme}://${authority}${req.path}`,
        "url.template": req.route,
        "server.address": peer.address,
        "server.port": peer.port,
        "peer.service": peer.service,
      },
      overheadMs: 0.8,
      outcome: httpOutcome,
    };
    this.span(from, `${req.method} ${req.route}`, spec, parent, body);
  }

  /** An HTTP call between two of the shop's services: CLIENT span, then SERVER span. */
  httpCall(from: ServiceName, to: ServiceName, req: HttpRequest, parent: Context, body: Body): void {
    const peer: Peer = { service: to, address: to, port: HTTP_PORT, scheme: "http" };
    this.httpClient(from, peer, req, parent, (ctx) => this.httpServer(to, req, ctx, body));
  }

  /** A gRPC call between two of the shop's services: CLIENT span, then SERVER span. */
  grpcCall(
    from: ServiceName,
    to: ServiceName,
    rpcService: string,
    rpcMethod: string,
    parent: Context,
    body: Body,
  ): void {
    const name = `${rpcService}/${rpcMethod}`;
    const rpc = { "rpc.system": "grpc", "rpc.service": rpcService, "rpc.method": rpcMethod };
    const client: SpanSpec = {
      kind: SpanKind.CLIENT,
      attributes: { ...rpc, "server.address": to, "server.port": GRPC_PORT, "peer.service": to },
      overheadMs: 0.6,
      outcome: grpcOutcome,
    };
    const server: SpanSpec = { kind: SpanKind.SERVER, attributes: rpc, overheadMs: 0.2, outcome: grpcOutcome };
    this.span(from, name, client, parent, (ctx) => this.span(to, name, server, ctx, body));
  }

  /** A database call: a CLIENT span in the calling service, as database drivers emit. */
  db(service: ServiceName, store: Datastore, statement: Statement, parent: Context, body: Body): void {
    const { operation, collection, text } = statement;
    const spec: SpanSpec = {
      kind: SpanKind.CLIENT,
      attributes: {
        "db.system.name": store.system,
        "db.namespace": store.namespace,
        "db.operation.name": operation,
        ...(collection && { "db.collection.name": collection }),
        "db.query.text": text,
        "server.address": store.address,
        "server.port": store.port,
      },
      overheadMs: 0.1,
    };
    this.span(service, collection ? `${operation} ${collection}` : operation, spec, parent, body);
  }

  /** In-process work worth its own span. */
  internal(service: ServiceName, name: string, parent: Context, body: Body, links?: Link[]): void {
    const spec: SpanSpec = { kind: SpanKind.INTERNAL, attributes: {}, links, overheadMs: 0.05 };
    this.span(service, name, spec, parent, body);
  }

  private span(service: ServiceName, name: string, spec: SpanSpec, parent: Context, body: Body): void {
    const { kind, attributes, links } = spec;
    const span = this.tracers[service].startSpan(name, { kind, attributes, links, startTime: this.now }, parent);
    this.work(spec.overheadMs / 2);
    try {
      body(trace.setSpan(parent, span), span);
      span.setAttributes(spec.outcome?.(false) ?? {});
    } catch (error) {
      if (error instanceof SimulatedFailure) this.markFailed(span, spec, error);
      throw error;
    } finally {
      this.work(spec.overheadMs / 2);
      span.end(this.now);
    }
  }

  private markFailed(span: Span, spec: SpanSpec, failure: SimulatedFailure): void {
    if (!failure.recorded) {
      span.recordException(failure, this.now);
      failure.recorded = true;
    }
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
    span.setAttributes({ "error.type": failure.name, ...spec.outcome?.(true) });
  }
}

function httpOutcome(failed: boolean): Attributes {
  return failed ? { "http.response.status_code": 500, "error.type": "500" } : { "http.response.status_code": 200 };
}

/** gRPC status 13 is INTERNAL, what a server answers when its handler throws. */
function grpcOutcome(failed: boolean): Attributes {
  return { "rpc.grpc.status_code": failed ? 13 : 0 };
}

// ---------------------------------------------------------------------------
// Request types

/** State carried from one trace to later ones, for span links across traces. */
interface ShopMemory {
  /** The cart service span of the latest add-to-cart, which a checkout then buys. */
  lastCartUpdate?: SpanContext;
}

interface Visitor {
  userId: string;
  sessionId: string;
  sku: string;
}

function newVisitor(): Visitor {
  return {
    userId: `u-${randomInt(1000, 9999)}`,
    sessionId: randomUUID().replaceAll("-", "").slice(0, 16),
    sku: pick(SKUS),
  };
}

/** Every request a browser makes enters through the frontend, the root of the trace. */
function frontendRequest(b: TraceBuilder, req: HttpRequest, body: Body): void {
  b.httpServer("frontend", req, ROOT_CONTEXT, body, {
    "client.address": `203.0.113.${randomInt(1, 254)}`,
    "user_agent.original": pick(USER_AGENTS),
  });
}

function lookUpSession(b: TraceBuilder, visitor: Visitor, ctx: Context): void {
  const text = `GET session:${visitor.sessionId}`;
  b.db("frontend", REDIS, { operation: "GET", text }, ctx, () => b.work(0.4));
}

/** Depth 1: a load balancer probe answered by the frontend itself. */
function healthCheck(b: TraceBuilder): void {
  frontendRequest(b, request("GET", "/health"), () => {
    b.work(0.2);
    b.failHere("HealthCheckError", "event loop lag above threshold", "checkHealth (/app/dist/health.js:21:11)");
  });
}

/** Depth 3: the cart badge; the cart service answers from its in-process count cache. */
function cartBadge(b: TraceBuilder, visitor: Visitor): void {
  frontendRequest(b, request("GET", "/api/cart/count"), (ctx) => {
    lookUpSession(b, visitor, ctx);
    const count = request("GET", "/carts/{userId}/count", { userId: visitor.userId });
    b.httpCall("frontend", "cart", count, ctx, () => {
      b.workOrStall(0.5);
      const frame = "CountCache.get (/app/dist/count-cache.js:47:13)";
      b.failHere("CacheUnavailableError", "cart count cache is rebuilding", frame);
    });
  });
}

/** Depth 5: the cart checks stock with inventory before storing the item in Redis. */
function addToCart(b: TraceBuilder, visitor: Visitor, memory: ShopMemory): void {
  frontendRequest(b, request("POST", "/api/cart/items"), (ctx) => {
    lookUpSession(b, visitor, ctx);
    const addItem = request("POST", "/carts/{userId}/items", { userId: visitor.userId });
    b.httpCall("frontend", "cart", addItem, ctx, (ctx) => {
      b.grpcCall("cart", "inventory", "inventory.InventoryService", "CheckStock", ctx, () => {
        b.workOrStall(1.5);
        const frame = "StockService.checkStock (/app/dist/stock-service.js:112:15)";
        b.failHere("StockSnapshotError", `no stock snapshot for ${visitor.sku}`, frame);
      });
      const text = `HINCRBY cart:${visitor.userId} ${visitor.sku} 1`;
      b.db("cart", REDIS, { operation: "HINCRBY", text }, ctx, () => b.work(0.4));
      memory.lastCartUpdate = trace.getSpanContext(ctx);
    });
  });
}

/**
 * Depth 10: placing an order. The deepest path is frontend -> checkout ->
 * place order -> cart GetCart -> price cart -> inventory GetPrices -> SELECT.
 */
function checkout(b: TraceBuilder, visitor: Visitor, memory: ShopMemory): void {
  frontendRequest(b, request("POST", "/api/checkout"), (ctx) => {
    lookUpSession(b, visitor, ctx);
    b.httpCall("frontend", "checkout", request("POST", "/orders"), ctx, (ctx) => {
      // The order buys the cart built in an earlier trace, so point back at it.
      const links = memory.lastCartUpdate && [
        { context: memory.lastCartUpdate, attributes: { "shop.link.reason": "checked-out cart" } },
      ];
      b.internal("checkout", "place order", ctx, (ctx) => {
        getPricedCart(b, visitor, ctx);
        reserveStock(b, ctx);
        chargeCard(b, ctx);
        const text = "INSERT INTO orders (user_id, total_cents) VALUES ($1, $2) RETURNING id";
        b.db("checkout", POSTGRES, { operation: "INSERT", collection: "orders", text }, ctx, () => b.work(2));
        b.grpcCall("checkout", "cart", "cart.CartService", "EmptyCart", ctx, (ctx) => {
          const text = `DEL cart:${visitor.userId}`;
          b.db("cart", REDIS, { operation: "DEL", text }, ctx, () => b.work(0.3));
        });
      }, links);
    });
  });
}

function getPricedCart(b: TraceBuilder, visitor: Visitor, ctx: Context): void {
  b.grpcCall("checkout", "cart", "cart.CartService", "GetCart", ctx, (ctx, span) => {
    const text = `HGETALL cart:${visitor.userId}`;
    b.db("cart", REDIS, { operation: "HGETALL", text }, ctx, () => b.work(0.4));
    // Carts evicted from Redis are rebuilt from their durable copy in PostgreSQL.
    if (chance(0.2)) {
      b.event(span, "cache miss", { "cache.key": `cart:${visitor.userId}` });
      const text = "SELECT sku, quantity FROM cart_items WHERE user_id = $1";
      b.db("cart", POSTGRES, { operation: "SELECT", collection: "cart_items", text }, ctx, () => b.work(3));
    }
    b.internal("cart", "price cart", ctx, (ctx) => {
      b.grpcCall("cart", "inventory", "inventory.InventoryService", "GetPrices", ctx, (ctx) => {
        const text = "SELECT sku, price_cents FROM products WHERE sku = ANY($1)";
        b.db("inventory", POSTGRES, { operation: "SELECT", collection: "products", text }, ctx, () => b.work(2.5));
      });
      b.work(0.3);
    });
  });
}

function reserveStock(b: TraceBuilder, ctx: Context): void {
  b.grpcCall("checkout", "inventory", "inventory.InventoryService", "ReserveStock", ctx, (ctx) => {
    const text = "UPDATE stock SET reserved = reserved + $1 WHERE sku = $2 AND available - reserved >= $1";
    b.db("inventory", POSTGRES, { operation: "UPDATE", collection: "stock", text }, ctx, (_ctx, span) => {
      b.work(3);
      // Concurrent checkouts of the same item make PostgreSQL abort one of them;
      // the driver retries the statement within the same call.
      if (chance(0.1)) {
        b.event(span, "retry", { "retry.attempt": 1, "db.response.status_code": "40001" });
        b.work(3);
      }
    });
  });
}

function chargeCard(b: TraceBuilder, ctx: Context): void {
  b.grpcCall("checkout", "payment", "payment.PaymentService", "Charge", ctx, (ctx) => {
    b.internal("payment", "authorize card", ctx, (ctx) => {
      b.work(0.5);
      b.httpClient("payment", CARD_GATEWAY, request("POST", "/v1/charges"), ctx, () => {
        b.workOrStall(120);
        const frame = "GatewayClient.charge (/app/dist/gateway-client.js:88:11)";
        b.failHere("CardGatewayError", "card gateway responded 500 Internal Server Error", frame);
      });
    });
    const text = "INSERT INTO payments (order_id, amount_cents, status) VALUES ($1, $2, $3)";
    b.db("payment", POSTGRES, { operation: "INSERT", collection: "payments", text }, ctx, () => b.work(2));
  });
}

interface RequestType {
  weight: number;
  run: (b: TraceBuilder, visitor: Visitor, memory: ShopMemory) => void;
}

const REQUEST_TYPES: readonly RequestType[] = [
  { weight: 0.15, run: healthCheck },
  { weight: 0.3, run: cartBadge },
  { weight: 0.3, run: addToCart },
  { weight: 0.25, run: checkout },
];

function pickRequestType(): RequestType {
  let roll = Math.random() * REQUEST_TYPES.reduce((sum, type) => sum + type.weight, 0);
  for (const type of REQUEST_TYPES) {
    roll -= type.weight;
    if (roll < 0) return type;
  }
  // Only reached when floating-point rounding leaves the roll at about zero.
  return REQUEST_TYPES[REQUEST_TYPES.length - 1]!;
}

// ---------------------------------------------------------------------------
// Running the demo

const ERROR_RATE = 0.05;
const SLOW_RATE = 0.05;
/** Traces are spread over this window, which ends just before now. */
const WINDOW_MS = 5 * 60_000;
/** Room for the slowest trace (a 3 s stall plus normal work) to end before now. */
const TAIL_MS = 5_000;
/**
 * Flushing every so many traces keeps each processor's queue far below its
 * 2048-span limit (beyond which spans are silently dropped), and reveals an
 * unreachable endpoint before the whole run has been generated.
 */
const TRACES_PER_FLUSH = 50;

interface RunTotals {
  traces: number;
  failed: number;
  slow: number;
}

async function flushAll(providers: BasicTracerProvider[]): Promise<void> {
  // Failures are read from the recording exporters, which say why; the rejections only say that.
  await Promise.allSettled(providers.map((provider) => provider.forceFlush()));
}

async function sendTraces(
  count: number,
  providers: Record<ServiceName, BasicTracerProvider>,
  stats: ExportStats,
): Promise<RunTotals> {
  const tracers = Object.fromEntries(
    Object.entries(providers).map(([service, provider]) => [service, provider.getTracer("ducktrace-demo-shop")]),
  ) as Record<ServiceName, Tracer>;
  const memory: ShopMemory = {};
  const totals: RunTotals = { traces: 0, failed: 0, slow: 0 };
  const windowStart = Date.now() - TAIL_MS - WINDOW_MS;
  const spacing = WINDOW_MS / count;

  while (totals.traces < count && !stats.firstError) {
    const batchEnd = Math.min(count, totals.traces + TRACES_PER_FLUSH);
    for (; totals.traces < batchEnd; totals.traces++) {
      const start = windowStart + (totals.traces + Math.random()) * spacing;
      const scenario: Scenario = { fails: chance(ERROR_RATE), slow: chance(SLOW_RATE) };
      const b = new TraceBuilder(tracers, scenario, start);
      try {
        pickRequestType().run(b, newVisitor(), memory);
      } catch (error) {
        if (!(error instanceof SimulatedFailure)) throw error;
        totals.failed++;
      }
      if (b.stalled) totals.slow++;
    }
    await flushAll(Object.values(providers));
  }
  return totals;
}

function describeError(error: Error): string {
  // When "localhost" resolves to both ::1 and 127.0.0.1, Node reports the refused
  // connections as an AggregateError whose message is empty but whose code is set.
  const code = (error as NodeJS.ErrnoException).code;
  return error.message || code || error.name;
}

async function main(): Promise<number> {
  let options: Options | "help";
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`demo: ${error.message} (see --help)`);
    return 2;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }

  const url = tracesUrl(options.endpoint);
  const stats: ExportStats = { exportedSpans: 0 };
  const providers = Object.fromEntries(
    (Object.keys(SERVICES) as ServiceName[]).map((service) => [service, createProvider(service, url, stats)]),
  ) as Record<ServiceName, BasicTracerProvider>;

  console.log(`Sending ${options.traces} traces to ${url} ...`);
  const totals = await sendTraces(options.traces, providers, stats);
  // Shutting down flushes whatever is left and waits for exports still in flight.
  await Promise.allSettled(Object.values(providers).map((provider) => provider.shutdown()));

  if (stats.firstError) {
    console.error(
      `demo: could not send traces to ${url} (${describeError(stats.firstError)}); ` +
        "is ducktrace running? Start the server with `npm start` first.",
    );
    return 1;
  }
  console.log(
    `Sent ${totals.traces} traces (${stats.exportedSpans} spans; ${totals.failed} failed, ` +
      `${totals.slow} slow) to ${url}`,
  );
  return 0;
}

process.exitCode = await main();
