import type { FastifyReply, FastifyRequest } from 'fastify';
import { VigilError, errorBody } from '../errors.ts';
import type { Logger } from '../log.ts';

/** An error as Fastify hands it to the handler: its own carry a validation result or a status. */
type RouteError = Error & { validation?: unknown; statusCode?: number };

/**
 * The one Fastify error handler (master API and node API): a VigilError answers with its status,
 * a schema failure is BAD_REQUEST, anything else is logged and answered INTERNAL; always the
 * `{error: {code, message, details}}` shape.
 */
export function errorHandler(log: Logger, what: string) {
  return (err: RouteError, _req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof VigilError) return reply.status(err.httpStatus).send(errorBody(err));
    if (err.validation) return reply.status(400).send(errorBody(new VigilError('BAD_REQUEST', err.message)));
    log.error({ err }, `${what} request failed`);
    return reply.status(err.statusCode ?? 500).send(errorBody(new VigilError('INTERNAL', err.message)));
  };
}
