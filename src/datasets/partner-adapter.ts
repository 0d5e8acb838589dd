import type { Identity } from '../auth/identity';
import { problems } from '../http/problem';
import { getAdapter } from '../mapping';
import type { Adapter, InputFormat } from '../mapping/types';

/** The adapter a caller may upload through: it exists, it is their own partner's, and it reads the format. */
export function partnerAdapter(identity: Identity, adapterId: string, format: InputFormat): Adapter {
  const adapter = getAdapter(adapterId);
  if (!adapter) throw problems.badRequest(`Unknown adapter "${adapterId}".`);
  if (adapter.partnerId !== identity.partnerId)
    throw problems.forbidden('This adapter belongs to another partner.');
  if (!adapter.formats.includes(format)) {
    throw problems.unsupportedMedia(
      `Adapter "${adapterId}" reads ${adapter.formats.join(', ')}, not ${format}.`,
    );
  }
  return adapter;
}
