// `npm run soak -- --minutes N [--rate jobs/s]`: the fault-injection soak with printed counts; exits 1 on a violation.
import { parseArgs } from 'node:util';
import { reportSoak } from './check-soak.ts';
import { runSoak } from './run-soak.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '3' }, rate: { type: 'string', default: '30' } } });
process.exit(reportSoak(await runSoak({ seconds: Number(values.minutes) * 60, rate: Number(values.rate), log: (line) => console.log(line) })));
