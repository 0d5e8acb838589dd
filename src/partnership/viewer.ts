/**
 * Who reads the partnership's records, and how far they see: the gateway's admins (those who may
 * screen) and a supervisor partner's DPO see every partner; anyone else sees their own partner only.
 */
import type { Identity } from '../auth/identity';
import { rolesAllow } from '../http/guard';
import type { Bundle } from '../policy/types';
import type { Accreditation } from '../records/accreditation';
import type { PartnershipRegistry } from './registry';

/** A caller the route's guard let through: verified and accredited. */
export interface Viewer {
  identity: Identity;
  accreditation: Accreditation;
}

export interface PartnershipDeps {
  bundle: () => Bundle;
  clock: () => Date;
  partnership: PartnershipRegistry;
  /** The DPO scope the audit service decides (AuditService.scopeOf): undefined for a supervisor's DPO. */
  scopeOf: (identity: Identity) => string | undefined;
}

export const SCREEN = 'partnership:screen';

/** Whether the viewer sees every partner's records, not only their own partner's. */
export function seesAll(deps: PartnershipDeps, viewer: Viewer): boolean {
  return (
    deps.scopeOf(viewer.identity) === undefined ||
    rolesAllow(viewer.accreditation, [SCREEN], deps.bundle().enforcer)
  );
}

/** The day a partner's standing is read on when no agreement's time zone applies (UTC). */
export const utcToday = (now: Date) => now.toISOString().slice(0, 10);
