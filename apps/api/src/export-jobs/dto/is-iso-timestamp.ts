import { ValidationOptions, registerDecorator } from 'class-validator';

// A full date-time with a zone (Z or ±hh:mm), as AEP's examples write them.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_TIMESTAMP.test(value) && !Number.isNaN(Date.parse(value));
}

export function IsIsoTimestamp(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isIsoTimestamp',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must be an ISO 8601 timestamp with a zone, such as 2018-01-01T00:00:00Z', ...options },
      validator: { validate: isIsoTimestamp },
    });
}
