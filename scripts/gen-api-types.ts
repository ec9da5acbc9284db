// Writes web/src/api/schema.d.ts, the console's types of the master's API, from the OpenAPI document
// its routes describe (openapi-typescript). `npm run gen:api` after a route's schema changes; the
// unit test web/src/api/schema.test.ts fails while the committed file is stale.
import { writeFileSync } from 'node:fs';
import { apiTypes, SCHEMA_FILE } from './api-types.ts';

writeFileSync(SCHEMA_FILE, await apiTypes());
console.log(`wrote ${SCHEMA_FILE.pathname}`);
