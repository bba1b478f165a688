// How parseOptions refuses a configuration, as the options tests compare it: the error's code
// and message alone, and a failure of the test when the options are accepted.
import { parseOptions } from '../../src/options.js';

/** The code and message parseOptions throws for `options`; throws itself if they are accepted. */
export function refusal(options: Record<string, unknown>): { code: string; message: string } {
  try {
    parseOptions(options);
  } catch (err) {
    const { code, message } = err as { code: string; message: string };
    return { code, message };
  }
  throw new Error('parseOptions accepted the options');
}
