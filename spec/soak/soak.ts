// `npm run soak -- --minutes N [--rate jobs/s]`: the fault-injection soak with printed counts; exits 1 on a violation.
import { parseArgs } from 'node:util';
import { runSoak } from './run-soak.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '3' }, rate: { type: 'string', default: '30' } } });
const result = await runSoak({ seconds: Number(values.minutes) * 60, rate: Number(values.rate), log: (line) => console.log(line) });
console.log(JSON.stringify(result, null, 2));
console.log(result.violations.length === 0 ? 'soak: all invariants hold' : `soak: ${result.violations.length} violations`);
process.exit(result.violations.length === 0 ? 0 : 1);
