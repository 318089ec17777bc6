// `npm run cluster:start` / `cluster:stop` (or `tsx spec/cluster/cluster.ts status`): the local three-node
// RabbitMQ cluster for cluster specs and the cluster soak. Exits 1 with the reason when a command fails.
import { CLUSTER_DIR, clusterRunning, runningNodes, startLocalCluster, stopLocalCluster } from './local-cluster.ts';

const command = process.argv[2];
const t0 = performance.now();
const seconds = () => ((performance.now() - t0) / 1000).toFixed(1);
try {
  switch (command) {
    case 'start': {
      const cluster = await startLocalCluster({ log: (line) => console.log(line) });
      console.log(`cluster: ${cluster.nodes.join(', ')} running and clustered on ${cluster.hosts.join(', ')} (${CLUSTER_DIR}) in ${seconds()} s`);
      break;
    }
    case 'stop':
      await stopLocalCluster();
      console.log(`cluster: stopped, ${CLUSTER_DIR} deleted, in ${seconds()} s`);
      break;
    case 'status': {
      if (!clusterRunning()) {
        console.log('cluster: not running');
        process.exitCode = 3;
        break;
      }
      console.log(`cluster: VMs up (${CLUSTER_DIR}); running nodes: ${(await runningNodes()).join(', ')}`);
      break;
    }
    default:
      console.error('usage: tsx spec/cluster/cluster.ts start|stop|status');
      process.exitCode = 2;
  }
} catch (error) {
  console.error(`cluster ${command}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
