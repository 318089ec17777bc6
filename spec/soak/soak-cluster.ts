// `npm run soak:cluster -- --minutes N [--rate jobs/s] [--keep-cluster] [--no-shared-records]`: the soak on the local
// three-node RabbitMQ cluster (started when it is not running, and stopped after unless --keep-cluster); exits 1 on a
// violation. --no-shared-records runs the workers with Worker:SharedOccurrenceRecords false (the runs it saves).
import { parseArgs } from 'node:util';
import { reportSoak } from './check-soak.ts';
import { runClusterSoak } from './run-cluster-soak.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '3' }, rate: { type: 'string', default: '20' }, 'keep-cluster': { type: 'boolean', default: false }, 'no-shared-records': { type: 'boolean', default: false } } });
const result = await runClusterSoak({ seconds: Number(values.minutes) * 60, rate: Number(values.rate), keepCluster: values['keep-cluster'], sharedRecords: !values['no-shared-records'], log: (line) => console.log(line) });
process.exit(reportSoak(result));
