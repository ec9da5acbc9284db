import type { TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** The first `max` ways `value` breaks `schema`, one line each (`/json/pointer: message`); empty when it fits. Pure. */
export function schemaProblems(schema: TSchema, value: unknown, max = 10): string[] {
  const out: string[] = [];
  for (const e of Value.Errors(schema, value)) {
    out.push(`${e.path || '/'}: ${e.message}`);
    if (out.length >= max) break;
  }
  return out;
}
