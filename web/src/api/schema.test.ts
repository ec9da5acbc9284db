import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { apiTypes, SCHEMA_FILE } from '../../../scripts/api-types.ts';

test("the console's API types are those of the master's OpenAPI document (else: npm run gen:api)", async () => {
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  assert.ok(committed === (await apiTypes()), 'web/src/api/schema.d.ts is stale: run `npm run gen:api` and commit it');
});
