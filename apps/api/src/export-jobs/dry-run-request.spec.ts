import { ValidationFailed } from '@sx/domain';
import { dryRunOf } from './dry-run-request';

describe('dryRunOf', () => {
  it.each([
    [undefined, undefined, false],
    ['true', undefined, true],
    ['TRUE', undefined, true],
    ['false', undefined, false],
    [undefined, true, true],
    [undefined, false, false],
    ['true', true, true],
    ['false', false, false],
  ])('query %p, body %p: %p', (query, body, expected) => {
    expect(dryRunOf(query, body)).toBe(expected);
  });

  it.each([
    ['true', false],
    ['false', true],
  ])('query %p and body %p disagree: a 400 naming dryRun', (query, body) => {
    expect(() => dryRunOf(query, body)).toThrow(ValidationFailed);
    try {
      dryRunOf(query, body);
    } catch (e) {
      expect((e as ValidationFailed).problems).toEqual([{ path: 'dryRun', message: expect.stringContaining('disagree') as string }]);
    }
  });

  it.each(['yes', '1', '', ['true']])('query %p is not a boolean: a 400 naming dryRun', (query) => {
    expect(() => dryRunOf(query, undefined)).toThrow(ValidationFailed);
  });
});
