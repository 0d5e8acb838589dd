/**
 * A gateway whose stolen-boats agreement asks for four eyes (or not), with a second responder for each
 * of its providers: bea of boatreg-nl (as bram) and ivo of insureco (as iris). Neither is a demo user:
 * their tokens come from their partner's issuer by name (`bearerOf`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { copyOfDemo, edit } from './bundle-copy';
import { createTestGateway, type TestGateway } from './gateway';

const SECOND_RESPONDERS = [
  { like: 'bram', partnerId: 'boatreg-nl', userId: 'bea', displayName: 'Bea de Boer' },
  { like: 'iris', partnerId: 'insureco', userId: 'ivo', displayName: 'Ivo Jansen' },
];

/** A copy of the demo bundle whose `agreement` (stolen-boats) asks for four eyes (or not): its policy dir. */
export function fourEyesBundle(fourEyes: boolean, agreement = 'stolen-boats'): string {
  const dir = copyOfDemo();
  // The partners' issuer keys, where the bundle names them (../config/demo).
  fs.cpSync(path.resolve(__dirname, '../../config/demo'), path.join(dir, '../config/demo'), {
    recursive: true,
  });
  if (fourEyes)
    edit(path.join(dir, 'agreements', `${agreement}.yaml`), /\s*$/, '\nreview:\n  fourEyes: true\n');
  return dir;
}

/** Accredits bea and ivo as bram and iris are. */
export async function addSecondResponders(gw: TestGateway): Promise<void> {
  for (const s of SECOND_RESPONDERS) {
    const first = (await gw.store.accreditations.get(s.partnerId, s.like))!;
    await gw.store.accreditations.put({ ...first, userId: s.userId, displayName: s.displayName }, []);
  }
}

export async function gatewayWithFourEyes(fourEyes: boolean): Promise<TestGateway> {
  const gw = await createTestGateway({ FSG_POLICY_DIR: fourEyesBundle(fourEyes) });
  await addSecondResponders(gw);
  return gw;
}

/** The user's bearer token: a demo user's, or a second responder's from their partner's issuer. */
export async function bearerOf(gw: TestGateway, user: string): Promise<{ Authorization: string }> {
  const partner = SECOND_RESPONDERS.find((s) => s.userId === user)?.partnerId;
  return { Authorization: `Bearer ${await gw.token(user, partner ? { partner } : {})}` };
}
