/** The Five Safes: pure checks of (request, identity, context, bundle) and the decision over them. */
export { decide, obligationsFor } from './decide';
export { REASONS, REASON_CODES, reason, safeOf } from './reasons';
export type { ReasonCode } from './reasons';
export { checkPeople } from './people';
export { checkProject } from './project';
export { checkSetting } from './setting';
export { checkData } from './data';
export { checkOutput } from './output';
