/** The jest project that runs lookup tests with lookups written by their worker thread (test/helpers/gateway.ts). */
process.env.FSG_TEST_LOOKUP_WRITER = 'worker';
