/**
 * The HTTP ceiling: a fastify server that reads an OTLP request body and answers 200, nothing else.
 * Run as its own process (like the real server), it prints `noop listening on <port>`.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
app.addContentTypeParser(['application/x-protobuf', 'application/json'], { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/v1/traces', async (request, reply) => reply.code(200).header('content-type', request.headers['content-type'] ?? 'application/x-protobuf').send(Buffer.alloc(0)));
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
console.log(`noop listening on ${typeof address === 'object' && address !== null ? address.port : 0}`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
