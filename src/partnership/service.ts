/** The partnership's API and portal flows: partner screening and agreements accepted by every party. */
import { Acceptances } from './acceptance';
import { Screenings } from './screening';
import type { PartnershipDeps } from './viewer';

export class PartnershipService {
  readonly screenings: Screenings;
  readonly acceptances: Acceptances;

  constructor(deps: PartnershipDeps) {
    this.screenings = new Screenings(deps);
    this.acceptances = new Acceptances(deps);
  }
}
