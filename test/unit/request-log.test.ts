/** The request log's own formatting prints what winston's timestamp() + json() printed, key for key. */
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, requestLog, type RequestLogFields } from '../../src/http/logger';

/** Lines written to stdout while `run` and the next turn of the event loop go. */
async function captured(run: () => void): Promise<string[]> {
  const lines: string[] = [];
  const take = (chunk: unknown) => lines.push(...String(chunk).split('\n').filter(Boolean));
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    take(chunk);
    return true;
  });
  // winston's Console transport writes to console._stdout, which jest's console may lack.
  const withStdout = console as unknown as { _stdout?: NodeJS.WriteStream };
  const had = withStdout._stdout;
  withStdout._stdout = process.stdout;
  try {
    run();
    // winston's streams take a few turns of the event loop.
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  } finally {
    spy.mockRestore();
    withStdout._stdout = had;
  }
  return lines;
}

const withoutTimestamp = (line: string) => {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  expect(parsed.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  return line.replace(/"timestamp":"[^"]+"/, '"timestamp":"T"');
};

const cases: RequestLogFields[] = [
  { requestId: 'a1', method: 'POST', route: '/api/v1/lookups', status: 200, partner: 'police-nl', ms: 1.25 },
  { requestId: 'b2', method: 'GET', route: 'unmatched', status: 401, partner: undefined, ms: 0.000123 },
  { requestId: 'c"3', method: 'DELETE', route: '/x/\\y', status: 500, partner: 'é\u2028', ms: 12 },
];

describe('requestLog', () => {
  it('writes exactly the lines winston writes', async () => {
    const logger = createLogger('info');
    const fast = requestLog(logger);
    const expected = await captured(() => cases.forEach((f) => logger.info('request', f)));
    const got = await captured(() => cases.forEach((f) => fast(f)));
    expect(got.map(withoutTimestamp)).toEqual(expected.map(withoutTimestamp));
    expect(got).toHaveLength(cases.length);
  });

  it('falls back to the logger for any other set-up', async () => {
    const silent = createLogger('silent');
    expect(await captured(() => requestLog(silent)(cases[0]))).toEqual([]);
    const warn = createLogger('warn');
    expect(await captured(() => requestLog(warn)(cases[0]))).toEqual([]);
    const lines: string[] = [];
    const other = winston.createLogger({
      format: winston.format.json(),
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            write(chunk: Buffer, _enc, done) {
              lines.push(chunk.toString());
              done();
            },
          }),
        }),
      ],
    });
    requestLog(other)(cases[0]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ message: 'request', requestId: 'a1', status: 200 });
  });
});
