/** A sub-store not built yet: every method rejects, naming it (removed once every sub-store exists). */
export function notBuilt<T extends object>(name: string, methods: readonly string[]): T {
  return Object.fromEntries(
    methods.map((m) => [
      m,
      () => Promise.reject(new Error(`PostgreSQL store: ${name}.${m} is not built yet`)),
    ]),
  ) as T;
}
