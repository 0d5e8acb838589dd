/** The jest project that runs lookup tests with lookups written by their worker thread (test/helpers/gateway.ts). */
process.env.FSG_TEST_LOOKUP_WRITER = 'worker';
// A compiled gateway with its worker threads takes longer to start than the in-process one, most of all
// while the other jest worker keeps the second core busy: its hooks get 30 s, not 5.
jest.setTimeout(30_000);
