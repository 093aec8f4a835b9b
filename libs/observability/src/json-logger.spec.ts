import { JsonLogger } from './json-logger';
import { runWithRequestId } from './request-context';

describe('JsonLogger', () => {
  const capture = (level: 'debug' | 'info' | 'warn' = 'info') => {
    const lines: Record<string, unknown>[] = [];
    const logger = new JsonLogger('api', level, (l) => lines.push(JSON.parse(l)));
    return { lines, logger };
  };

  it('writes one JSON object per line with context and the request id', () => {
    const { lines, logger } = capture();
    runWithRequestId('req-1', () => logger.log('hello', 'Ctx'));
    expect(lines).toEqual([expect.objectContaining({ level: 'info', app: 'api', msg: 'hello', context: 'Ctx', requestId: 'req-1' })]);
  });

  it('merges object messages and drops lines below the level', () => {
    const { lines, logger } = capture('warn');
    logger.log('quiet');
    logger.warn({ msg: 'loud', jobId: 7 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', msg: 'loud', jobId: 7 });
  });

  it('keeps the stack of errors', () => {
    const { lines, logger } = capture();
    logger.error('failed', 'Error: x\n    at y', 'Ctx');
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'failed', stack: 'Error: x\n    at y', context: 'Ctx' });
  });
});
