# The all-in-one ducktrace server: OTLP/gRPC on 4317, OTLP/HTTP on 4318, query API on 16686.

# Build stage: the full Debian image has python3, make and g++, which lz4's native addon is built with;
# the slim image below has none of them.
FROM node:24-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The web UI, built once into the image (vite is a runtime dependency for exactly this), then the
# development dependencies (test clients, TypeScript) go.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
# DuckDB statements and the write-ahead log's fsyncs share libuv's thread pool (4 threads by default).
ENV DUCKTRACE_HOST=0.0.0.0 \
    DUCKTRACE_DATA_DIR=/data \
    UV_THREADPOOL_SIZE=16
VOLUME ["/data"]
EXPOSE 4317 4318 16686
# The shell execs node, which then runs as PID 1, so that SIGTERM reaches ducktrace, which stores what it
# accepted, then exits. DUCKTRACE_HEAP_MEMORY_MB, when set, caps the JavaScript heap as under npm start.
CMD ["sh", "-c", "exec node ${DUCKTRACE_HEAP_MEMORY_MB:+--max-old-space-size=$DUCKTRACE_HEAP_MEMORY_MB} --import tsx main.ts"]
