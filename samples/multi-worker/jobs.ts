// Two logical workers in one process: the jobs are plain re-exports; appsettings.json assigns each a WorkerId.
export { sendEmail, emailSetup } from '../email/send-email-job.ts';
export { generateReport } from '../reports/generate-report-job.ts';
