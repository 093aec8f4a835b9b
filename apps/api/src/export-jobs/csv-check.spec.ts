import type { CreateExportJobDto } from './dto/create-export-job.dto';
import { csvProblems } from './csv-check';

const dto = (fields: string | undefined, extra: Partial<CreateExportJobDto> = {}, outputFormat = 'csv') =>
  ({ fields, destination: { datasetId: 'd', outputFormat }, schema: { name: '_xdm.context.profile' }, ...extra }) as CreateExportJobDto;

describe('csvProblems', () => {
  it('accepts paths to values and objects', () => {
    expect(csvProblems(dto('person.name.firstName, identityMap ,segmentMembership.ups,loyalty'))).toEqual([]);
  });

  it.each([undefined, '', '  ', ' , . ,'])('refuses fields %j: no column', (fields) => {
    expect(csvProblems(dto(fields))).toEqual([{ path: 'fields', message: expect.stringMatching(/must name at least one path/) }]);
  });

  it('names each path that is or goes through a known array', () => {
    expect(csvProblems(dto('person.name,identities.id,identityMap.Email,eventList'))).toEqual([
      { path: 'fields', message: expect.stringMatching(/^"identities.id" goes through the array identities/) },
      { path: 'fields', message: expect.stringMatching(/^"identityMap.Email" is an array/) },
      { path: 'fields', message: expect.stringMatching(/^"eventList" is an array/) },
    ]);
  });

  it('refuses additionalFields.eventList', () => {
    expect(csvProblems(dto('a', { additionalFields: { eventList: {} } }))).toEqual([
      { path: 'additionalFields.eventList', message: expect.stringMatching(/not available with outputFormat "csv"/) },
    ]);
  });

  it('asks nothing of other formats', () => {
    expect(csvProblems(dto(undefined, { additionalFields: { eventList: {} } }, 'jsonl'))).toEqual([]);
    expect(csvProblems(dto('identities.id', {}, 'parquet'))).toEqual([]);
  });
});
