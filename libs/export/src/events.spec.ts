import { type EventInput, attachEvents, compileEventProjection } from './index';

type Json = Record<string, unknown>;

function event(id: string, timestamp: number, ingestTime: number): EventInput {
  const record = { _id: id, eventType: 'web', web: { url: `u${id}`, referrer: 'r' }, identityMap: { ECID: [{ id: 'e' }] } };
  return Object.freeze({ record: Object.freeze(record), timestamp, ingestTime });
}

describe('attachEvents', () => {
  const e1 = event('1', 300, 1);
  const e2 = event('2', 100, 5);
  const e3 = event('3', 100, 2);
  const e4 = event('4', 300, 1); // ties e1 on both times: input order decides
  const input = Object.freeze([e1, e2, e3, e4]);

  it('sets eventList oldest first (timestamp, then ingestTime, then input order), projected', () => {
    const row: Json = { identityMap: {} };
    attachEvents(row, input, compileEventProjection('_id, web.url'));
    expect(row).toEqual({
      identityMap: {},
      eventList: [
        { _id: '3', web: { url: 'u3' } },
        { _id: '2', web: { url: 'u2' } },
        { _id: '1', web: { url: 'u1' } },
        { _id: '4', web: { url: 'u4' } },
      ],
    });
    expect(input).toEqual([e1, e2, e3, e4]);
  });

  it('keeps whole events for blank fields, and ordered input as it is', () => {
    const row: Json = {};
    attachEvents(row, [e3, e2, e1, e4], compileEventProjection('  '));
    expect(row.eventList).toEqual([e3.record, e2.record, e1.record, e4.record]);
  });

  it('adds no identityMap to projected events, and keeps an event without the fields as {}', () => {
    const row: Json = {};
    attachEvents(row, [e1], compileEventProjection('commerce.order'));
    expect(row.eventList).toEqual([{}]);
  });

  it('sets an empty list when there are no events', () => {
    const row: Json = {};
    attachEvents(row, [], compileEventProjection(undefined));
    expect(row.eventList).toEqual([]);
  });
});
