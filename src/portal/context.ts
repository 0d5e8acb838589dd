/**
 * What the portal's pages share with the portal that mounts them: its dependencies, the context a page's
 * handler gets, and a page's route. Apart from portal.ts so that the pages need not import the module
 * that imports them.
 */
import type { Request, Response } from 'express';
import type { AccreditationService } from '../accreditations/service';
import type { SubjectAccessService } from '../subject-access/service';
import type { AuditService } from '../audit/service';
import type { Identity } from '../auth/identity';
import type { TokenVerifier } from '../auth/verifier';
import type { DatasetService } from '../datasets/service';
import type { Logger } from '../http/logger';
import type { RateLimits } from '../http/rate-limits';
import type { Guard } from '../http/routes';
import type { LookupService } from '../lookups/service';
import type { PartnershipService } from '../partnership/service';
import type { Bundle } from '../policy/types';
import type { OutcomeService } from '../partnership/outcomes';
import type { ReportService } from '../partnership/report';
import type { RequestService } from '../requests/service';
import type { QuestionService } from '../questions/service';
import type { Store } from '../store/port';
import type { FormData } from './forms';
import type { Html } from './html';
import type { PageUser } from './layout';
import type { SecureCookie, Session } from './session';

export interface PortalDeps {
  bundle: () => Bundle;
  store: Store;
  verifier: TokenVerifier;
  clock: () => Date;
  demo?: { enabled: boolean; accreditations: string };
  audience?: string;
  uploadLimit: string;
  /** portal.secureCookie: when the session cookie is marked Secure (default `auto`: under TLS). */
  secureCookie?: SecureCookie;
  /** portal.publicUrl: the origin of the sign-in redirect URIs (default: each request's own). */
  publicUrl?: string;
  /** portal.tokenSignIn: whether a token may be pasted to sign in. */
  tokenSignIn?: boolean;
  /** The API's rate limits: the portal's pages count as the API's calls do. */
  rateLimits?: RateLimits;
  /** The operational log (a busy store is a warning). */
  logger: Logger;
  services: {
    requests: RequestService;
    lookups: LookupService;
    datasets: DatasetService;
    accreditations: AccreditationService;
    audit: AuditService;
    subjectAccess: SubjectAccessService;
    questions: QuestionService;
    partnership: PartnershipService;
    outcomes: OutcomeService;
    reports: ReportService;
  };
}

/** What a portal handler gets: the signed-in user, the session and (for POSTs) the checked form. */
export interface Ctx {
  req: Request;
  res: Response;
  session: Session;
  identity: Identity;
  user: PageUser;
  form: FormData;
  deps: PortalDeps;
  render(title: string, body: Html, status?: number): void;
  redirect(to: string, flash?: string): void;
}

export type PortalHandler = (ctx: Ctx) => Promise<void>;

export interface PortalRoute {
  method: 'get' | 'post';
  path: string;
  guard: Guard;
  handler: PortalHandler;
}
