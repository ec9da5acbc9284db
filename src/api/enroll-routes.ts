import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Enrollment } from '../auth/enrollment.ts';
import { ErrorBody } from './schemas.ts';

/**
 * What the enrollment routes use: the enrollment and the CA certificate. Who may call them is the
 * authentication hook's (route-rules.ts: ca.pem public, enroll join, servers/:id/enroll admin).
 */
export interface EnrollDeps {
  enrollment: Enrollment;
  caPem: string;
}

const Id = Type.String({ minLength: 1, maxLength: 200 });
/** Answer of POST /api/v1/servers/:id/enroll. */
export const JoinInviteView = Type.Object({
  server: Type.String(),
  joinToken: Type.String({ description: 'one-time, valid an hour: `vigil node --id <server> --join <token>`' }),
  expiresAt: Type.Number({ description: 'epoch ms' }),
});
/** Body of POST /api/v1/enroll. */
export const EnrollRequest = Type.Object(
  {
    server: Id,
    joinToken: Type.String({ minLength: 1, maxLength: 200 }),
    csr: Type.String({ minLength: 1, maxLength: 16_384, description: 'PKCS#10, PEM, for an ECDSA P-256 key' }),
  },
  { additionalProperties: false },
);
/** Answer of POST /api/v1/enroll. */
export const EnrolledView = Type.Object({
  certificate: Type.String({ description: "the server's certificate, PEM" }),
  ca: Type.String({ description: 'the farm CA certificate, PEM' }),
});

/**
 * Enrollment: an admin invites a configured server (a join token); its node exchanges the token
 * and a CSR for its certificate (a public route: the token is the credential, checked by the
 * handler); the farm CA's certificate is public, so a node (or a person) can check a token's
 * fingerprint against it before trusting it.
 */
export function registerEnrollRoutes(app: FastifyInstance, d: EnrollDeps): void {
  app.get(
    '/api/v1/ca.pem',
    {
      schema: {
        summary: 'the farm CA certificate (PEM): what clients trust; its SHA-256 fingerprint ends every join token',
        response: { 200: { content: { 'application/x-pem-file': { schema: Type.String() } } } },
      },
    },
    async (_req, reply) => reply.type('application/x-pem-file').send(d.caPem),
  );

  app.post(
    '/api/v1/servers/:id/enroll',
    {
      schema: {
        summary:
          "a one-time join token (an hour) for a configured server's node; a server enrolled before gets a new certificate, the old one stops working",
        params: Type.Object({ id: Id }),
        response: { 200: JoinInviteView, '4xx': ErrorBody },
      },
    },
    async (req) => d.enrollment.invite((req.params as { id: string }).id),
  );

  app.post(
    '/api/v1/enroll',
    {
      schema: {
        summary: "a node's enrollment: its join token and a CSR for its key, for its certificate signed by the farm CA",
        body: EnrollRequest,
        response: { 200: EnrolledView, '4xx': ErrorBody },
      },
      bodyLimit: 64 * 1024,
    },
    async (req) => d.enrollment.enroll(req.body as { server: string; joinToken: string; csr: string }),
  );
}
