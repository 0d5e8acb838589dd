/**
 * Moved to time/zones.ts, the one time-zone module. Kept only for src/portal/pages/dpo.ts, another
 * helper's folder: once its import names time/zones, this file goes.
 */
export { localDate } from '../time/zones';
