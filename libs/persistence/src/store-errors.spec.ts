import { StoreUnavailable } from '@sx/domain';
import { withStoreErrors } from './store-errors';

const down = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('withStoreErrors', () => {
  it('answers what the work answers', async () => {
    await expect(withStoreErrors(() => Promise.resolve(7))).resolves.toBe(7);
  });

  it('translates a rejection and a synchronous throw alike', async () => {
    await expect(withStoreErrors(() => Promise.reject(down()))).rejects.toBeInstanceOf(StoreUnavailable);
    await expect(
      withStoreErrors((): Promise<number> => {
        throw down();
      }),
    ).rejects.toBeInstanceOf(StoreUnavailable);
  });

  it('lets any other error through as it is', async () => {
    const bug = new TypeError('a bug');
    await expect(withStoreErrors(() => Promise.reject(bug))).rejects.toBe(bug);
  });

  it('lets refine throw its own error first, and translates when it returns', async () => {
    const mine = new Error('mine');
    const refine = (e: unknown) => {
      if (e instanceof RangeError) throw mine;
    };
    await expect(withStoreErrors(() => Promise.reject(new RangeError('x')), refine)).rejects.toBe(mine);
    await expect(withStoreErrors(() => Promise.reject(down()), refine)).rejects.toBeInstanceOf(StoreUnavailable);
  });
});
