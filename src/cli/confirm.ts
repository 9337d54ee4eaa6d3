/** Asking before a command changes the target, and refusing in the command's own words. */
import { createInterface } from 'node:readline/promises';
import { UserError } from './base-command.js';

/** Ask on a terminal; refuse elsewhere unless --yes was given. */
export async function confirm(question: string, o: { yes: boolean; isTTY: boolean }): Promise<'yes' | 'no' | 'not-a-tty'> {
  if (o.yes) return 'yes';
  if (!o.isTTY) return 'not-a-tty';
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} Only 'yes' is accepted: `)).trim().toLowerCase();
    return answer === 'yes' ? 'yes' : 'no';
  } finally {
    rl.close();
  }
}

/** What a command says when it may not go on: no one to ask, or the person said no. */
export interface Refusal {
  notATty: string;
  no: string;
  /** Exit code of a "no" (a person who declines has not failed, for some commands). */
  noExitCode?: number;
}

/** Returns only on 'yes'; anything else is a UserError carrying the refusal's words. */
export async function confirmOrRefuse(question: string, o: { yes: boolean; isTTY: boolean }, refusal: Refusal): Promise<void> {
  const answer = await confirm(question, o);
  if (answer === 'not-a-tty') throw new UserError(refusal.notATty);
  if (answer === 'no') throw new UserError(refusal.no, refusal.noExitCode ?? 1);
}
