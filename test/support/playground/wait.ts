import { seeSafely } from '../../../src/local-teams/playground/wait.js';

export {
  tail,
  type WaitOptions,
  waitFor,
} from '../../../src/local-teams/playground/wait.js';

/** Runs `action`, adding what it was doing and what was seen to its error. */
export async function step<T>(
  what: string,
  action: () => Promise<T>,
  seen: () => string | Promise<string>,
): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${what} failed: ${message}\nseen:\n${await seeSafely(seen)}`, {
      cause: error,
    });
  }
}
