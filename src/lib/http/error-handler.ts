import type { FastifyReply, FastifyRequest } from 'fastify';
import { VigilError, errorBody } from '../errors.ts';
import type { Logger } from '../log.ts';
import { isStoreUnavailable, storeUnavailable } from '../../store/unavailable.ts';

/** An error as Fastify hands it to the handler: its own carry a validation result or a status. */
type RouteError = Error & { validation?: unknown; statusCode?: number };

/**
 * The one Fastify error handler (master API and node API): a VigilError answers with its status,
 * a schema failure is BAD_REQUEST, Fastify's own refusals of a request (a body over the route's
 * limit, a bad content type) keep their 4xx status, on the master (`farmStore`) a farm store that
 * cannot be reached is 503 STORE_UNAVAILABLE, anything else is logged and answered INTERNAL;
 * always the `{error: {code, message, details}}` shape.
 */
export function errorHandler(log: Logger, what: string, o: { farmStore?: boolean } = {}) {
  return (err: RouteError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof VigilError) return reply.status(err.httpStatus).send(errorBody(err));
    // The store's loss is the controller's to log (once per change); each request only says so.
    if (o.farmStore && isStoreUnavailable(err))
      return reply.status(503).send(errorBody(storeUnavailable('this request needs it')));
    if (err.validation) return reply.status(400).send(errorBody(new VigilError('BAD_REQUEST', err.message)));
    const status = err.statusCode ?? 500;
    if (status === 413) {
      const limit = req.routeOptions.bodyLimit;
      const text = limit ? `the body is over this route's limit of ${limit} bytes` : err.message;
      return reply.status(413).send(errorBody(new VigilError('BODY_TOO_LARGE', text)));
    }
    if (status >= 400 && status < 500)
      return reply.status(status).send(errorBody(new VigilError('BAD_REQUEST', err.message, status)));
    log.error({ err }, `${what} request failed`);
    return reply.status(err.statusCode ?? 500).send(errorBody(new VigilError('INTERNAL', err.message)));
  };
}
