/** An error as it crosses between a store thread and the main thread: name, message and SQLite code. */
export interface ThreadError {
  name: string;
  message: string;
  code?: string;
}

export function toThreadError(error: unknown): ThreadError {
  const e = error as { name?: string; message?: string; code?: unknown };
  return {
    name: String(e?.name ?? 'Error'),
    message: String(e?.message ?? error),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}

/** The error again, with its code (a busy database stays recognisable: a 503, not a 500). */
export function fromThreadError(wire: ThreadError): Error {
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.code) (error as Error & { code?: string }).code = wire.code;
  return error;
}
