/**
 * The router thread (see router.ts): every Cloud Run service's router of this emulator runs
 * here, away from the main thread's state persistence and Pub/Sub delivery. It serves what
 * the main thread tells it: listen, a new route table, close.
 */
import { parentPort } from 'node:worker_threads';
import { RouterCore, type FromWorker, type ToWorker } from './router.js';

const port = parentPort!;
const routers = new Map<number, RouterCore>();
const reported = new Map<number, number>();
const post = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.op === 'table') {
    routers.get(m.id)?.setTable(m.table);
    return;
  }
  if (m.op === 'listen') {
    const r = new RouterCore(m.holdMs);
    routers.set(m.id, r);
    r.listen(m.port).then(
      (p) => post({ op: 'listening', id: m.id, port: p }),
      (e: Error) => {
        routers.delete(m.id);
        post({ op: 'failed', id: m.id, message: e.message });
      },
    );
    return;
  }
  const r = routers.get(m.id);
  routers.delete(m.id);
  reported.delete(m.id);
  void (r ? r.close() : Promise.resolve()).then(() => post({ op: 'closed', id: m.id }));
});

// Request counts for the status page, when they changed.
setInterval(() => {
  const counts: [number, number][] = [];
  for (const [id, r] of routers) {
    if (reported.get(id) === r.requests) continue;
    reported.set(id, r.requests);
    counts.push([id, r.requests]);
  }
  if (counts.length) post({ op: 'requests', counts });
}, 250).unref();
