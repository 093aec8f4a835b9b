import { errorLine } from './error-line';

describe('errorLine', () => {
  it('is the first non-blank line of a plain message, paths taken out', () => {
    expect(errorLine("ENOENT: no such file or directory, open '/var/data/x/part-0.parquet'\n    at open (node:fs)")).toBe('ENOENT: no such file or directory, open <path>');
  });

  it("is the cause of a Prisma message, which opens with a blank line and 'Invalid … invocation'", () => {
    const prisma = '\nInvalid `prisma.$executeRaw()` invocation:\n\n\nRaw query failed. Code: `40P01`. Message: `ERROR: deadlock detected`';
    expect(errorLine(prisma)).toBe('Raw query failed. Code: `40P01`. Message: `ERROR: deadlock detected`');
  });

  it('says there was no message rather than nothing', () => {
    expect(errorLine('')).toBe('no message');
    expect(errorLine('\n  \n')).toBe('no message');
  });

  it('is at most 300 characters', () => {
    expect(errorLine('x'.repeat(1000))).toHaveLength(300);
  });
});
