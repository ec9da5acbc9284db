import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { Page } from '../store/page.ts';
import { PAGE } from './limits.ts';

/** The header of a page's answer that gives the cursor of the older page (absent on the oldest). */
export const NEXT_BEFORE_HEADER = 'x-vigil-next-before';

/** Query of a paginated log (the failover log, the audit log). */
export const PageQuery = {
  limit: Type.Integer({
    minimum: 1,
    maximum: PAGE.maxLimit,
    default: PAGE.limit,
    description: `entries at most (default ${PAGE.limit}, at most ${PAGE.maxLimit}): the newest ones`,
  }),
  before: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: `only entries older than this id: the ${NEXT_BEFORE_HEADER} header of the newer page`,
    }),
  ),
};

/** The response headers of a page, for the OpenAPI document. */
export const pageHeaders = {
  [NEXT_BEFORE_HEADER]: {
    type: 'integer',
    description: 'the `before` of the older page; absent when this page holds the oldest entry',
  },
};

/** Answers a page: its entries, oldest first, and the cursor of the older page in a header. */
export function sendPage<T>(reply: FastifyReply, page: Page<T>): T[] {
  if (page.nextBefore !== undefined) reply.header(NEXT_BEFORE_HEADER, String(page.nextBefore));
  return page.entries;
}
