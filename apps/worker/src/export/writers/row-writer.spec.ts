import { PassThrough } from 'node:stream';
import { createRowFileWriter, FILE_EXTENSION, type OutputFormat } from './row-writer';
import { CsvRowWriter } from './csv-writer';
import { JsonlRowWriter } from './jsonl-writer';
import { ParquetRowWriter } from './parquet-writer';

describe('createRowFileWriter', () => {
  it('makes the writer for each format', () => {
    expect(createRowFileWriter('parquet', new PassThrough())).toBeInstanceOf(ParquetRowWriter);
    expect(createRowFileWriter('jsonl', new PassThrough())).toBeInstanceOf(JsonlRowWriter);
    expect(createRowFileWriter('csv', new PassThrough(), { csvColumns: [['a']] })).toBeInstanceOf(CsvRowWriter);
    expect(FILE_EXTENSION).toEqual({ parquet: '.parquet', jsonl: '.jsonl', csv: '.csv' });
  });

  it('refuses an unknown format', () => {
    expect(() => createRowFileWriter('avro' as OutputFormat, new PassThrough())).toThrow(/unknown output format: avro/);
  });
});
