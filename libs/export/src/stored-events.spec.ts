import { ByteBuilder, attachEvents, compileEventProjection, compileStoredEventList } from './index';

const stored = (record: unknown, timestamp: number, ingestTime: number, pad = '') => ({ timestamp, ingestTime, jsonBytes: Buffer.from(`${pad}${JSON.stringify(record)}${pad}`) });

/** The list attachEvents makes of the parsed events, and the one written from their bytes. */
function both(fields: string | undefined, events: ReturnType<typeof stored>[]) {
  const row: Record<string, unknown> = {};
  attachEvents(
    row,
    events.map((e) => ({ record: JSON.parse(e.jsonBytes.toString()), timestamp: e.timestamp, ingestTime: e.ingestTime })),
    compileEventProjection(fields),
  );
  const out = new ByteBuilder(8);
  out.byte(123);
  compileStoredEventList(fields)(events, out);
  out.byte(125);
  return { expected: JSON.stringify(row), written: JSON.stringify(JSON.parse(out.view().toString())) };
}

describe('compileStoredEventList', () => {
  const events = [
    stored({ _id: '1', web: { url: 'u1', ref: 'r' }, list: [{ a: 1 }, 2] }, 300, 1),
    stored({ _id: '2', web: { url: 'u2' } }, 100, 5, ' '),
    stored({ _id: '3' }, 100, 2),
    stored({ _id: '4', web: 'scalar' }, 300, 1),
  ];

  it.each([undefined, '_id,web.url', 'web', 'missing', 'list.a', '  '])('writes the list attachEvents makes (fields %s)', (fields) => {
    const { expected, written } = both(fields, events);
    expect(written).toBe(expected);
  });

  it('writes an empty list for no events, and keeps events already in order as they are', () => {
    expect(both('_id', []).written).toBe('{"eventList":[]}');
    const inOrder = [events[2], events[1], events[0], events[3]];
    expect(both('_id', inOrder).written).toBe('{"eventList":[{"_id":"3"},{"_id":"2"},{"_id":"1"},{"_id":"4"}]}');
  });
});
