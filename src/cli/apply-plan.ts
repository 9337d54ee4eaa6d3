/** What deploy and destroy share once they have a plan with changes: ask, then apply it with live progress. */
import type { ApplyResult } from '../engine/apply.js';
import type { Session } from '../engine/session.js';
import type { Observed, Plan } from '../engine/types.js';
import { confirmOrRefuse } from './confirm.js';
import { chooseMode, createProgress } from './progress.js';

export interface ApplyOptions {
  /** The command's name in its refusals ("refusing to deploy without --yes ..."). */
  verb: 'deploy' | 'destroy';
  question: string;
  yes: boolean;
  json: boolean;
  concurrency: number;
}

export async function confirmAndApply(session: Session, planned: { plan: Plan; observed: Map<string, Observed> }, o: ApplyOptions): Promise<ApplyResult> {
  // Under --json a script is reading, so there is no one to ask even on a terminal.
  await confirmOrRefuse(o.question, { yes: o.yes, isTTY: !!process.stdin.isTTY && !o.json }, {
    notATty: `refusing to ${o.verb} without --yes: not on a terminal, so there is no one to ask`,
    no: `${o.verb} cancelled`,
  });
  const progress = createProgress(planned.plan.items, chooseMode({ json: o.json, isTTY: !!process.stdout.isTTY }));
  const result = await session.apply(planned.plan, planned.observed, { concurrency: o.concurrency, onEvent: (e) => progress.onEvent(e) });
  await progress.finish();
  return result;
}
