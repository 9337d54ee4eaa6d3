/**
 * Node/V8 flags the service process starts with: service/Dockerfile's CMD (a test keeps the two
 * the same) and the benchmark. V8's young generation otherwise tops out at 16 MB semi-spaces,
 * so the main thread scavenged ~12 times a second under search load, each a 2-5 ms pause that
 * every in-flight request waits out; at 64 MB it scavenges a quarter as often. Measured here,
 * alternate runs of 3 x 8 s at concurrency 16: 4,710-4,860 QPS and p99 8.8-9.3 ms against
 * 4,110-4,460 QPS and p99 9.6-11.0 ms; main-thread CPU per request 100 µs against 108-117.
 * The cost is memory: up to ~128 MB more RSS at the peak (two semi-spaces).
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
