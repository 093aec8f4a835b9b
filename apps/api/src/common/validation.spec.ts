import { plainToInstance, Type } from 'class-transformer';
import { IsArray, IsIn, IsString, ValidateNested, validateSync } from 'class-validator';
import { fieldProblems } from './validation';

class Segment {
  @IsString() segmentId: string;
  @IsArray() @IsIn(['realized'], { each: true }) status: string[];
}
class Filter {
  @ValidateNested({ each: true }) @Type(() => Segment) segments: Segment[];
}
class Body {
  @ValidateNested() @Type(() => Filter) filter: Filter;
}

describe('fieldProblems', () => {
  it('names nested and array fields by their full path', () => {
    const body = plainToInstance(Body, {
      filter: {
        segments: [
          { segmentId: 'a', status: ['realized'] },
          { segmentId: 1, status: ['nope'] },
        ],
      },
    });
    const problems = fieldProblems(validateSync(body));
    expect(problems).toEqual([
      { path: 'filter.segments[1].segmentId', message: 'must be a string' },
      { path: 'filter.segments[1].status', message: 'each value in status must be one of the following values: realized' },
    ]);
  });

  it('says "is required" once for a missing field and keeps only the type error of a wrong one', () => {
    const body = plainToInstance(Body, { filter: { segments: [{ status: 'realized' }] } });
    expect(fieldProblems(validateSync(body))).toEqual([
      { path: 'filter.segments[0].segmentId', message: 'is required' },
      { path: 'filter.segments[0].status', message: 'must be an array' },
    ]);
  });

  it('reports unknown properties as such', () => {
    const body = plainToInstance(Body, { filter: { segments: [], extra: 1 } });
    const problems = fieldProblems(validateSync(body, { whitelist: true, forbidNonWhitelisted: true }));
    expect(problems).toEqual([{ path: 'filter.extra', message: 'is not a known property' }]);
  });
});
