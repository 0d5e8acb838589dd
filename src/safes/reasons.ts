/**
 * The one catalogue of reason codes a safe can report. Codes are stable (analysts, DPOs and the
 * disclosure log refer to them); messages are the default plain-language text. The prefix names
 * the safe that reports the code.
 */
import type { SafeName, Reason } from './types';

export const REASONS = {
  PEOPLE_UNKNOWN_USER: 'The user has no accreditation with the gateway.',
  PEOPLE_PARTNER_MISMATCH: "The user's accreditation belongs to another partner than the token's issuer.",
  PEOPLE_ROLE_NOT_PERMITTED: "None of the user's roles may do this under this agreement.",
  PEOPLE_VETTING_INSUFFICIENT: "The user's vetting level is below the agreement's minimum.",
  PEOPLE_TRAINING_OUTDATED: "The user's data-protection training is older than the agreement allows.",
  PEOPLE_ACCREDITATION_EXPIRED: "The user's accreditation has expired.",
  PEOPLE_SUSPENDED: "The user's accreditation is suspended.",

  PROJECT_AGREEMENT_UNKNOWN: 'There is no data-sharing agreement with this id.',
  PROJECT_AGREEMENT_NOT_IN_FORCE: 'The agreement is not in force on this date.',
  PROJECT_REQUESTER_NOT_PARTY: "The user's partner is not a requesting party to the agreement.",
  PROJECT_PROVIDER_NOT_PARTY: 'The provider is not a providing party to the agreement.',
  PROJECT_PURPOSE_OUT_OF_SCOPE: 'The purpose is not one the agreement allows.',
  PROJECT_DATASET_OUT_OF_SCOPE: "The dataset is not one of this provider's datasets under the agreement.",
  PROJECT_NO_LOOKUP_DATASET: 'No dataset of the agreement is shared for hit/no-hit lookups.',
  PROJECT_CASE_REF_INVALID: 'The case reference is not of the form agreed for this partner.',
  PROJECT_QUOTA_EXCEEDED: "The user has reached the agreement's daily request quota.",
  PROJECT_AGREEMENT_NOT_ACCEPTED: 'Not every party has accepted this exact version of the agreement.',
  PROJECT_AGREEMENT_REVISION_OVERDUE: 'The agreement is past the date by which it had to be revised.',
  PROJECT_PARTNER_NOT_CLEARED:
    "A partner in this exchange has not been cleared by the partnership's screening.",
  PROJECT_PARTNER_SCREENING_LAPSED: "A partner's screening is past its next review date.",

  SETTING_NETWORK_NOT_ALLOWED: "The request does not come from one of the partner's networks.",
  SETTING_MFA_REQUIRED: 'The agreement requires multi-factor authentication.',
  SETTING_AUTH_TOO_OLD: 'The user authenticated too long ago for this agreement.',
  SETTING_OUTSIDE_HOURS: "The request is outside the agreement's allowed hours.",
  SETTING_TLS_REQUIRED: 'The agreement requires a TLS connection.',

  DATA_NO_FIELDS: 'No fields were requested.',
  DATA_FIELD_UNKNOWN: 'A requested field is not a known canonical field.',
  DATA_FIELD_NOT_ALLOWED: 'A requested field is not released from this dataset.',
  DATA_CLASSIFICATION_ABOVE_CEILING: "The data is classified above the agreement's ceiling.",
  DATA_DATASET_UNKNOWN: 'The dataset is not known for this provider under the agreement.',
  DATA_IDENTIFIER_TYPE_NOT_IN_SCOPE:
    "An identifier type is carried by none of the agreement's lookup datasets.",
  DATA_NO_AGREEMENT: 'Without a known agreement no data may be released.',
  DATA_DIMENSION_NOT_ALLOWED:
    'A table dimension is not one the agreement allows, or is finer than it allows or the dataset releases.',
  DATA_DIMENSION_IDENTIFYING:
    'A table dimension identifies an object or a person, or is pseudonymised: a table by it would list the dataset.',
  DATA_MEASURE_NOT_ALLOWED: 'The table sums a field that the agreement does not allow as a measure.',
  DATA_OBJECT_TYPE_NOT_SHARED: 'The table counts a kind of object the dataset does not share.',

  OUTPUT_NOTHING_REQUESTED: 'Neither identifiers nor record references were given.',
  OUTPUT_TOO_MANY_RECORDS: "More identifiers and record references than the agreement's maximum per request.",
  OUTPUT_TOO_MANY_IDENTIFIERS: 'More identifiers than the agreement allows in one lookup.',
  OUTPUT_AGGREGATES_NOT_ALLOWED: 'The agreement does not allow aggregate requests.',
  OUTPUT_AGGREGATE_SHAPE_INVALID: "The table's dimensions or measure are outside what the agreement allows.",
  OUTPUT_RECIPIENT_NOT_ALLOWED: "The named recipient team is not one of the requesting analyst's teams.",
  OUTPUT_HANDLING_INVALID: "The agreement's handling code is not a valid TLP level.",
  OUTPUT_RETENTION_INVALID: "The agreement's retention period is not a whole number of days from 1 to 365.",
  OUTPUT_NO_AGREEMENT: 'Without a known agreement no output may be released.',
} as const;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

/**
 * Builds a reason. `detail` narrows the message (a field name, a limit, a date); callers never pass
 * personal data or identifier values, as reasons are shown to users and written to the log.
 */
export function reason(code: ReasonCode, detail?: string): Reason {
  const message = detail ? `${REASONS[code]} (${detail})` : REASONS[code];
  return { code, message };
}

/** The safe a code belongs to, read from its prefix. */
export function safeOf(code: ReasonCode): SafeName {
  return code.slice(0, code.indexOf('_')).toLowerCase() as SafeName;
}

/**
 * Codes of the second output check, made on the records a responder actually gives before anything
 * is released (the request-time codes above judge only the requested shape).
 */
export const ANSWER_REASONS = {
  OUTPUT_ANSWER_TOO_MANY_RECORDS: "The answer holds more records than the agreement's maximum per request.",
  OUTPUT_RECORD_NOT_REQUESTED: 'A record answers no requested identifier or record reference.',
  OUTPUT_OBJECT_TYPE_NOT_ALLOWED: "A record's object type is not part of the requested dataset.",
} as const;

export type AnswerReasonCode = keyof typeof ANSWER_REASONS;

export function answerReason(code: AnswerReasonCode, detail?: string): Reason {
  return { code, message: detail ? `${ANSWER_REASONS[code]} (${detail})` : ANSWER_REASONS[code] };
}
