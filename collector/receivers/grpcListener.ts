/**
 * The OTLP/gRPC listener: a TCP server of our own whose connections are handed to grpc-js through its
 * connection injector, because grpc-js's own binding offers neither a cap on connections nor a way to
 * close connections that never speak HTTP/2. TLS uses the certificate files all listeners share, and a
 * renewed certificate reaches grpc-js through its secure-context watcher, without a restart.
 */
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { SecureServerOptions } from 'node:http2';
import type { ConnectionPolicy } from '../../core/listeners/connectionPolicy.js';
import type { TlsFiles } from '../../core/listeners/tlsFiles.js';

/** grpc-js server credentials whose certificate follows the TLS files. */
class ReloadingTlsCredentials extends grpc.ServerCredentials {
  constructor(tls: TlsFiles, handshakeTimeoutMs: number) {
    super({ handshakeTimeout: handshakeTimeoutMs } satisfies SecureServerOptions, tls.pair);
    tls.onChange((pair) => this.updateSecureContextOptions(pair));
  }

  override _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export interface GrpcListener {
  port: number;
  /** Stops accepting, lets calls in flight finish (grpc-js's tryShutdown), then closes what is left. */
  close(): Promise<void>;
}

export interface GrpcListenOptions extends ConnectionPolicy {
  host: string;
  port: number;
  /** Run on every call before its handler (the write-token check). */
  interceptors: grpc.ServerInterceptor[];
}

export async function listenGrpc(server: grpc.Server, options: GrpcListenOptions): Promise<GrpcListener> {
  const base = options.tls ? new ReloadingTlsCredentials(options.tls, options.idleTimeoutMs) : grpc.ServerCredentials.createInsecure();
  const injector = server.createConnectionInjector(grpc.experimental.createServerCredentialsWithInterceptors(base, options.interceptors));
  const sockets = new Set<Socket>();
  const listener: NetServer = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Nothing sent either way for this long: a connection nobody uses, or one that never began HTTP/2.
    socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
    injector.injectConnection(socket);
  });
  listener.maxConnections = options.maxConnections;
  listener.on('drop', options.onRefused);
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(options.port, options.host, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  return {
    port: (listener.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      injector.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
