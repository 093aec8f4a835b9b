import { PqlCycleError } from './api';
import { evaluationOrder } from './index';

describe('evaluationOrder', () => {
  test('each definition after the ones it references; outside refs ignored; stable', () => {
    const order = evaluationOrder([
      { id: 'c', refs: ['b'] },
      { id: 'b', refs: ['a', 'stored-elsewhere'] },
      { id: 'a', refs: [] },
      { id: 'd', refs: [] },
      { id: 'e', refs: ['a', 'c'] },
    ]);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
  test('independent definitions keep their input order', () => {
    expect(
      evaluationOrder([
        { id: 'x', refs: [] },
        { id: 'y', refs: [] },
      ]),
    ).toEqual(['x', 'y']);
    expect(evaluationOrder([])).toEqual([]);
  });
  test('a cycle is refused naming it, first repeated last', () => {
    let err: unknown;
    try {
      evaluationOrder([
        { id: 'a', refs: ['b'] },
        { id: 'b', refs: ['c'] },
        { id: 'c', refs: ['a'] },
        { id: 'd', refs: [] },
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PqlCycleError);
    expect((err as PqlCycleError).ids).toEqual(['a', 'b', 'c', 'a']);
    expect((err as Error).message).toBe('segment definitions reference each other in a cycle: a -> b -> c -> a');
  });
  test('a cycle below an acyclic start names only the cycle', () => {
    expect(() =>
      evaluationOrder([
        { id: 'top', refs: ['x'] },
        { id: 'x', refs: ['y'] },
        { id: 'y', refs: ['x'] },
      ]),
    ).toThrow('segment definitions reference each other in a cycle: x -> y -> x');
  });
  test('a definition naming itself', () => {
    expect(() => evaluationOrder([{ id: 's', refs: ['s'] }])).toThrow('cycle: s -> s');
  });
});
