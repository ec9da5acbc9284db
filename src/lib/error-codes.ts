/**
 * Every error code of Vigil and the HTTP status it answers with: the one catalogue (fastify's
 * lib/errors.js habit). A VigilError takes its status from here; a code not listed does not compile.
 */
export const ERROR_STATUS = {
  // the request
  BAD_REQUEST: 400,
  BAD_RANGE: 400,
  BAD_TIME: 400,
  RANGE_TOO_LONG: 400,
  CONFIG_INVALID: 400,
  STORAGE_INVALID: 400,
  PATH_OUTSIDE_STORAGE: 400,
  PASSWORD_REFUSED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  TOO_MANY_REQUESTS: 429,
  NOT_LIVE: 404,
  REQUEST_TIMEOUT: 408,
  BODY_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  // the farm's state
  CAMERA_MOVED: 409,
  MOVE_REFUSED: 409,
  ALREADY_DOWN: 409,
  ALREADY_DRAINED: 409,
  NOT_DRAINED: 409,
  NOT_RUNNING: 409,
  NOTHING_TO_MOVE: 409,
  SERVER_DOWN: 409,
  TRIGGER_OFF: 409,
  BUSY: 409,
  SEGMENT_EXISTS: 409,
  CHECKSUM_MISMATCH: 409,
  NAME_TAKEN: 409,
  LAST_ADMIN: 409,
  SETUP_DONE: 409,
  // this process
  INTERNAL: 500,
  FAILOVER_FAILED: 500,
  EXPORT_FAILED: 500,
  RELEASE_FAILED: 500,
  SEGMENT_MISSING: 500,
  KEY_FILE_UNSAFE: 500,
  PKI_INVALID: 500,
  CLOSED: 503,
  STORE_IN_USE: 500,
  NOT_LEADER: 503,
  LEADER_UNREACHABLE: 502,
  STORAGE_ALL_FAILED: 503,
  STORE_UNAVAILABLE: 503,
  // a recording server behind the master
  NODE_REFUSED: 502,
  SERVER_ERROR: 502,
  SERVER_UNREACHABLE: 503,
  INDEX_NOT_READY: 503,
} as const satisfies Record<string, number>;

/** A code of the catalogue. */
export type ErrorCode = keyof typeof ERROR_STATUS;
