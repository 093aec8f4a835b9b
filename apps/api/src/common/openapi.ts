import type { OpenAPIObject } from '@nestjs/swagger';

type Operation = {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: unknown; description?: string }>;
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
  security?: Array<Record<string, string[]>>;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** The shapes every error takes: the gateway's (auth) and the service's problem (everything after it). */
export const ERROR_SCHEMAS = {
  GatewayError: {
    type: 'object',
    description: "AEP's gateway error: a missing or wrong token, API key, org or sandbox.",
    required: ['error_code', 'message'],
    properties: { error_code: { type: 'string', example: '401013' }, message: { type: 'string', example: 'Oauth token is not valid' } },
  },
  FieldProblem: {
    type: 'object',
    required: ['path', 'message'],
    properties: { path: { type: 'string', example: 'destination.datasetId' }, message: { type: 'string', example: 'is required' } },
  },
  Problem: {
    type: 'object',
    description: 'The service-level error body (RFC 7807 style).',
    required: ['type', 'status', 'title', 'detail', 'requestId'],
    properties: {
      type: { type: 'string', example: 'urn:segment-export:problem:bad-request' },
      status: { type: 'integer', example: 400 },
      title: { type: 'string', example: 'Bad Request' },
      detail: { type: 'string' },
      requestId: { type: 'string' },
      errors: { type: 'array', items: { $ref: '#/components/schemas/FieldProblem' } },
    },
  },
} as const;

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });

/** Errors any operation can answer (gateway ones only behind the gateway). */
const PROBLEMS: Record<string, string> = {
  '400': 'The request is not valid: `errors` names each field and its problem.',
  '404': 'No such resource in this org and sandbox.',
  '413': 'The body is over the size limit.',
  '429': 'Too many requests or active jobs; retry later.',
  '500': 'An unexpected error (never answered for bad input).',
  '503': 'A store is unreachable; retry after `Retry-After` seconds.',
};
const GATEWAY: Record<string, string> = {
  '401': 'Missing or invalid token or API key (the gateway shape).',
  '403': 'The client may not use this org or sandbox (the gateway shape).',
};

/**
 * Completes the generated document where decorators cannot: the error bodies of every operation,
 * every `{param}` of a path declared, the two auth schemes required together (one security
 * requirement object, not alternatives), and `servers`.
 */
export function completeOpenApi(document: OpenAPIObject, serverUrl: string): OpenAPIObject {
  document.servers = [{ url: serverUrl }];
  document.components ??= {};
  document.components.schemas = Object.assign(document.components.schemas ?? {}, ERROR_SCHEMAS);
  for (const [path, item] of Object.entries(document.paths)) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (!op) continue;
      declarePathParameters(op, names);
      const gated = Boolean(op.security?.length);
      if (gated) op.security = [Object.assign({}, ...op.security!)];
      op.responses ??= {};
      for (const [status, description] of Object.entries({ ...PROBLEMS, ...(gated ? GATEWAY : {}) })) {
        // A decorator may have described the status already, but never with its body.
        const response = (op.responses[status] ??= { description });
        response.content ??= json(gated && status in GATEWAY ? 'GatewayError' : 'Problem');
      }
      // Errors only some operations answer (409, 415, 422...), declared by a decorator without a body: the problem shape too.
      for (const [status, response] of Object.entries(op.responses)) if (/^[45]/.test(status)) response.content ??= json('Problem');
    }
  }
  return document;
}

function declarePathParameters(op: Operation, names: string[]): void {
  op.parameters ??= [];
  for (const name of names) {
    const declared = op.parameters.find((p) => p.in === 'path' && p.name === name);
    if (declared) declared.required = true;
    else op.parameters.push({ name, in: 'path', required: true, schema: { type: 'string' } });
  }
}
