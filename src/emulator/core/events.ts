import { EventEmitter } from 'node:events';
import type { EmulatorEvents } from './types.js';

type Payload = Parameters<EmulatorEvents['emit']>[1];

/** A typed EventEmitter; a throwing listener (the data plane) never fails the API call. */
export class EventBus implements EmulatorEvents {
  private readonly ee = new EventEmitter();
  readonly recent: Payload[] = [];

  constructor() {
    this.ee.setMaxListeners(50);
  }

  emit(event: 'resource.changed', payload: Payload): void {
    this.recent.push(payload);
    if (this.recent.length > 200) this.recent.shift();
    for (const l of this.ee.listeners(event)) {
      try {
        (l as (p: Payload) => void)(payload);
      } catch (e) {
        process.emitWarning(`emulator event listener failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  on(event: 'resource.changed', listener: (payload: Payload) => void): void {
    this.ee.on(event, listener);
  }

  off(event: 'resource.changed', listener: (payload: Payload) => void): void {
    this.ee.off(event, listener);
  }
}
