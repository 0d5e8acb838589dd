/** Handling codes: TLP 2.0 and onward-sharing conditions; the agreement's default, never loosened. */
import { problems } from '../http/problem';
import { TLP_LEVELS, TLP_MEANINGS, type Handling } from '../policy/types';
import type { StoredRequest } from './types';

/**
 * The handling a responder asks for, checked to be at least as strict as the agreement's: the same
 * or a more restrictive TLP level, and every agreed condition kept (more may be added).
 */
export function stricterHandling(agreed: Handling, asked: Handling | undefined): Handling {
  if (!asked) return agreed;
  const looser = TLP_LEVELS.indexOf(asked.tlp) < TLP_LEVELS.indexOf(agreed.tlp);
  const dropped = agreed.conditions.filter((c) => !asked.conditions.includes(c));
  if (looser || dropped.length) {
    throw problems.badRequest('A responder may make the handling stricter, never looser.', {
      errors: [
        ...(looser ? [{ pointer: '/handling/tlp', detail: `must be ${agreed.tlp} or stricter` }] : []),
        ...dropped.map(() => ({
          pointer: '/handling/conditions',
          detail: 'must keep every agreed condition',
        })),
      ],
    });
  }
  return { tlp: asked.tlp, conditions: [...new Set(asked.conditions)] };
}

/** The handling in force for a request: the responder's where set, else the agreement's. */
export function handlingOf(request: StoredRequest): Handling {
  return request.preview?.handling ?? request.decision.obligations.handling;
}

/**
 * The handling a side is shown: the requester sees the agreement's until something is released (a
 * handling chosen at a first approval, under four eyes, is the provider's business until then).
 */
export function handlingShownTo(request: StoredRequest, side: 'requester' | 'provider'): Handling {
  return side === 'provider' || request.disclosedAt
    ? handlingOf(request)
    : request.decision.obligations.handling;
}

/** Handling with the published meaning of its TLP level, as every view shows it. */
export function handlingView(handling: Handling) {
  return { ...handling, meaning: TLP_MEANINGS[handling.tlp] };
}
