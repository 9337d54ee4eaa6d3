/** Cloud Run probes (httpGet / tcpSocket) run against a local instance's port. */
import { request } from 'node:http';
import { canConnect } from '../ports.js';

export interface ProbeSpec {
  initialDelaySeconds?: number;
  timeoutSeconds?: number;
  periodSeconds?: number;
  failureThreshold?: number;
  httpGet?: { path?: string; port?: number; httpHeaders?: { name: string; value?: string }[] };
  tcpSocket?: { port?: number };
  grpc?: { port?: number; service?: string };
}

/** One probe attempt against 127.0.0.1:port (the probe's own port is the container port, which is this instance's PORT). */
export function probeOnce(spec: ProbeSpec, port: number): Promise<boolean> {
  const timeoutMs = Math.max(200, (spec.timeoutSeconds ?? 1) * 1000);
  if (spec.httpGet) {
    const headers = Object.fromEntries((spec.httpGet.httpHeaders ?? []).map((h) => [h.name, h.value ?? '']));
    return new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: spec.httpGet!.path || '/', method: 'GET', headers, timeout: timeoutMs }, (res) => {
        res.resume();
        // Kubernetes/Cloud Run semantics: 200-399 is success.
        resolve((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 400);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }
  // tcpSocket, and gRPC (no gRPC health server locally: its port accepting is the best local signal).
  return canConnect('127.0.0.1', port, timeoutMs);
}
