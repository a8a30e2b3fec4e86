/** Environment that lifts every provider quota, for loads against fakes that enforce none. */
import { PROVIDERS } from '../../src/providers/types.js';

export const UNLIMITED_QUOTAS: Readonly<Record<string, string>> = Object.fromEntries(
  PROVIDERS.flatMap((p) => [
    [`JOBS_RATE_LIMIT_${p}_PER_SEC`, '10000'],
    [`JOBS_RATE_LIMIT_${p}_BURST`, '10000'],
    [`JOBS_DAILY_BUDGET_${p}`, 'off'],
  ]),
);
