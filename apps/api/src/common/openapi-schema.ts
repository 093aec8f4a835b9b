import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

/** A JSON Schema fragment of the OpenAPI document (the subset the response schemas use). */
export type Schema = Record<string, unknown>;

/**
 * Small builders for response schemas written beside each presenter: the presenters build plain
 * objects in AEP's shapes (key order and all), so their schemas are written, not derived from classes.
 */
export const S = {
  str: (extra: Schema = {}): Schema => ({ type: 'string', ...extra }),
  int: (extra: Schema = {}): Schema => ({ type: 'integer', ...extra }),
  num: (extra: Schema = {}): Schema => ({ type: 'number', ...extra }),
  bool: (extra: Schema = {}): Schema => ({ type: 'boolean', ...extra }),
  /** Epoch milliseconds. */
  ms: (): Schema => ({ type: 'integer', description: 'epoch milliseconds' }),
  oneOf: (...values: string[]): Schema => ({ type: 'string', enum: values }),
  arr: (items: Schema, extra: Schema = {}): Schema => ({ type: 'array', items, ...extra }),
  /** An object with these properties; `required` lists those always present. */
  obj: (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({
    type: 'object',
    properties,
    ...(required.length ? { required } : {}),
    ...extra,
  }),
  /** An object keyed by ids or names, each value of this schema. */
  map: (values: Schema, description?: string): Schema => ({ type: 'object', additionalProperties: values, ...(description ? { description } : {}) }),
  /** Any JSON object (a stored client document echoed back as it was sent). */
  any: (description: string): Schema => ({ type: 'object', additionalProperties: true, description }),
  ref: (name: string): Schema => ({ $ref: `#/components/schemas/${name}` }),
};

/** A JSON response of this status with this schema. */
export function ApiJson(status: number, schema: Schema, description: string): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiResponse({ status, description, content: { 'application/json': { schema } } }));
}

/**
 * A success that answers no body at all (a PUT of a small file, a DELETE of a definition or merge
 * policy, as AEP documents them): `content: {}` says so explicitly, where a response without
 * `content` would only be undocumented.
 */
export const ApiNoBody = (status: number, description: string) => ApiResponse({ status, description, content: {} });
