/** The jest project that runs integration tests on PostgreSQL: every test gateway opens a PostgreSQL store. */
process.env.FSG_TEST_STORE = 'postgres';
