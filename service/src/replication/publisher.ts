import { PubSub, type Topic } from '@google-cloud/pubsub';
import { PassThroughClient } from 'google-auth-library';
import type { Logger } from 'pino';
import type { ServiceConfig } from '../config.js';
import type { WriteEvent } from '../engine.js';
import { encodeUpdate } from './schema.js';

/**
 * Publishes a VectorUpdate per written vector. Publishing is off the request path (the client
 * batches); a lost message delays, but does not lose, the update in other regions: they also
 * tail the shared Postgres primary (see ChangeFeed).
 */
export class Publisher {
  private client: PubSub;
  private topic: Topic;

  constructor(cfg: ServiceConfig, private log: Logger, private onError: () => void) {
    const p = cfg.pubsub;
    const emu = p.apiEndpoint;
    this.client = emu
      ? new PubSub({ projectId: p.projectId, apiEndpoint: emu, fallback: true, protocol: 'http', authClient: new PassThroughClient() } as unknown as ConstructorParameters<typeof PubSub>[0])
      : new PubSub({ projectId: p.projectId });
    this.topic = this.client.topic(p.topic!, { batching: { maxMessages: 500, maxMilliseconds: 20 } });
    this.region = cfg.region;
  }

  private region: string;

  publish(events: WriteEvent[]): void {
    for (const e of events) {
      const data = Buffer.from(
        encodeUpdate({ vector_id: e.id, operation: e.operation, timestamp: e.timestamp, region: this.region, metadata: JSON.stringify({ collection: e.collection }) }),
      );
      this.topic.publishMessage({ data, attributes: { region: this.region, collection: e.collection } }).catch((err: Error) => {
        this.onError();
        this.log.warn({ err: err.message, vector_id: e.id }, 'VectorUpdate publish failed');
      });
    }
  }

  async close(): Promise<void> {
    await this.topic.flush().catch(() => {});
    await this.client.close().catch(() => {});
  }
}
