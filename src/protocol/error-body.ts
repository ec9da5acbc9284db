import { Type, type Static } from '@sinclair/typebox';

/** The error answer of every route, the master's and the nodes' alike. */
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String(), details: Type.Array(Type.Unknown()) }),
});
/** The error answer of every route. */
export type ErrorBody = Static<typeof ErrorBody>;
