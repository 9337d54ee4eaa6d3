/**
 * Data-plane parts beyond the core three (Memorystore, Cloud SQL, Cloud Run), attached in
 * this order after them. Each entry builds one part; add yours here (one import, one line).
 */
import { createFrontDoorPart } from './frontdoor/index.js';
import { createPushPart } from './pubsub-push.js';
import type { DataPlanePart } from './types.js';

export const extraParts: (() => DataPlanePart | Promise<DataPlanePart>)[] = [createPushPart, () => createFrontDoorPart()];
