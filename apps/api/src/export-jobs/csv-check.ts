import type { FieldProblem } from '@sx/domain';
import { columnName, fieldColumns, knownArrayPrefix } from '@sx/export';
import type { CreateExportJobDto } from './dto/create-export-job.dto';

/**
 * What makes a CSV export (`destination.outputFormat: "csv"`) unable to run, answered at POST: a
 * CSV file has one column per `fields` path, so `fields` must name at least one, and none may be
 * or go through an array the rows are known to hold (a column holds one value per profile).
 * eventList adds a list of events to each row: it has no column either.
 */
export function csvProblems(dto: CreateExportJobDto): FieldProblem[] {
  if (dto.destination.outputFormat !== 'csv') return [];
  const problems: FieldProblem[] = [];
  const columns = fieldColumns(dto.fields);
  if (!columns.length) problems.push({ path: 'fields', message: 'must name at least one path with outputFormat "csv": each path is a column of the CSV files' });
  for (const column of columns) {
    const array = knownArrayPrefix(column);
    if (array === undefined) continue;
    const what = array === columnName(column) ? 'is an array' : `goes through the array ${array}`;
    problems.push({ path: 'fields', message: `"${columnName(column)}" ${what}: a CSV column holds one value per profile (outputFormat "csv")` });
  }
  if (dto.additionalFields?.eventList) {
    problems.push({
      path: 'additionalFields.eventList',
      message: 'is not available with outputFormat "csv": events are a list per profile, which has no CSV column (use "jsonl" or "parquet")',
    });
  }
  return problems;
}
