import { ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import { FieldProblem, ValidationFailed } from '@sx/domain';

/**
 * Flattens class-validator's error tree into one problem per offending field, named by its full
 * path as a client would write it: `destination.datasetId`, `filter.segments[0].status`.
 */
export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const error of errors) {
    const path = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : parent ? `${parent}.${error.property}` : error.property;
    out.push(...messagesOf(error).map((message) => ({ path, message })));
    if (error.children?.length) out.push(...fieldProblems(error.children, path));
  }
  return out;
}

// A type error makes the other rules of the same field noise ("must be a string" says it all).
const TYPE_RULES = ['isString', 'isBoolean', 'isInt', 'isNumber', 'isArray', 'isObject', 'isIsoTimestamp', 'isIn'];

function messagesOf(error: ValidationError): string[] {
  const constraints = error.constraints ?? {};
  if ('whitelistValidation' in constraints) return ['is not a known property'];
  if (error.value === undefined || error.value === null) {
    return Object.keys(constraints).length ? ['is required'] : [];
  }
  const typeRule = TYPE_RULES.find((rule) => rule in constraints);
  const rules = typeRule ? [typeRule] : Object.keys(constraints);
  return rules.map((rule) => stripProperty(constraints[rule], error.property));
}

// class-validator starts messages with the bare property name ("status must be ..."); the path
// already names it, so the message keeps only the rule ("must be ...").
function stripProperty(message: string, property: string): string {
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/** The one validation pipe: unknown properties are errors, types are not coerced in bodies. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // `value` is kept to tell a missing field from a wrong one; it is never sent back.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => new ValidationFailed(fieldProblems(errors)),
  });
}
