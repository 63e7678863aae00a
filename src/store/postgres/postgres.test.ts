import { afterAll } from 'vitest';
import { testDatabaseUrl, testSchemas } from '../../../test/support/postgres.js';
import { storeSuite } from '../test-support/store-suite.js';

// No skip: without a reachable or startable Postgres this throws and the file fails, with a
// message that says what was tried and how to fix it.
const schemas = testSchemas(await testDatabaseUrl());
afterAll(() => schemas.dropAll());

storeSuite({
  name: 'postgres',
  shared: true,
  freshUrl: () => schemas.next(),
  reset: (url) => schemas.empty(url),
});
