/** The adapters this gateway knows, by id (= their folder under adapters/). */
import { autodealersNl } from '../../adapters/autodealers-nl/mapping';
import { boatregNl } from '../../adapters/boatreg-nl/mapping';
import { insureco } from '../../adapters/insureco/mapping';
import type { Adapter } from './types';

export const adapters: ReadonlyMap<string, Adapter> = new Map(
  [boatregNl, autodealersNl, insureco].map((adapter) => [adapter.id, adapter] as const),
);

/** The adapter with this id, or undefined. */
export function getAdapter(id: string): Adapter | undefined {
  return adapters.get(id);
}
