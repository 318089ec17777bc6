// GenerateReportJob: a job that returns a result (the .NET IAsyncJobWithResult); the scheduler stores it as a string.
import * as v from 'valibot';
import { defineJob } from '../../lib/index.ts';

export const generateReport = defineJob({
  name: 'GenerateReportJob',
  data: v.object({
    month: v.pipe(v.string(), v.regex(/^\d{4}-\d{2}$/, 'expected YYYY-MM')),
    format: v.optional(v.picklist(['pdf', 'csv']), 'pdf'),
  }),
  executionTimeoutSeconds: 600,
  async run(data, ctx) {
    ctx.log.info(`Generating the ${data.format} report for ${data.month}`);
    const rows = data.month.endsWith('-02') ? 28 : 30; // stands in for a real query
    return { reportId: `report-${data.month}`, format: data.format, rows, url: `https://reports.example/${data.month}.${data.format}` };
  },
});
