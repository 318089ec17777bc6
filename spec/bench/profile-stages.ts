// The worker's CPU per job, split by stage, from a V8 CPU profile (`bench:profile --cpu-prof`). Each sample goes
// to the stage of the innermost frame that names one: valibot is validation; a file of the worker's own (lib/ or
// the built dist/) names its stage by its folder and file; rabbitmq-client and lmdb frames count for the worker
// stage that called them, and only when none did for themselves. Samples with no stage fall to what V8 says of them:
// idle, garbage collection, or the runtime.

/** The parts of a `.cpuprofile` this reads. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string }; readonly children?: readonly number[] }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** A stage and the sampled time spent in it. */
export interface StageShare {
  readonly stage: string;
  readonly ms: number;
  /** Its share of the busy time (idle left out). */
  readonly share: number;
}

/** The worker's stages, by the path of its files below lib/ or dist/ (the first rule that matches wins). */
const STAGES: readonly (readonly [RegExp, string])[] = [
  [/^(outbox\/create-finished-records|core\/engine\/create-finished-occurrences|outbox\/prune-finished|control\/redis\/create-shared-occurrences|transports\/amqp\/(check-redelivery|create-attempt-leases))/, 'finished and redelivery records'],
  [/^transports\/amqp\/create-ack-batcher/, 'ack'],
  [/^(transports\/amqp\/(create-job-consumer|subscribe-job-queue|handle-job-delivery|create-amqp-source|create-solo-gate|watch-held-jobs)|core\/engine\/(parse-job-message|parse-job-data))/, 'receive and parse'],
  [/^(middleware\/|core\/engine\/(compose|create-executor|run-job|create-job-logger|create-abort-handle|create-cancellation-registry|to-verdict|verdict|to-status-record|to-result-string|parse-job-result|format-exception|retry-delay))/, 'pipeline'],
  [/^outbox\/(create-outbox-relay|create-relay-cursor|select-live-lane|batch-log-entries|coalesce-statuses)|^transports\/amqp\/(create-amqp-publisher|to-milvaion-messages|batch-socket-writes|to-message-channel|create-log-batcher|to-log-batch-body|int32-headers)/, 'relay and publish'],
  [/^outbox\//, 'outbox append'],
  [/^transports\/amqp\/(create-worker-presence|to-presence-messages)/, 'heartbeats'],
];

/** The stage a frame's file names, or a library's own name, or undefined. */
function stageOf(url: string): string | undefined {
  if (url.includes('/node_modules/valibot/')) return 'validate';
  const own = /\/(?:lib|dist)\/(.+)\.(?:[cm]?[jt]s)$/.exec(url);
  const library = url.includes('/node_modules/') && !url.includes('/node_modules/milvaion-worker/');
  if (own !== null && !library && !url.includes('/spec/')) return STAGES.find(([rule]) => rule.test(own[1]!))?.[1] ?? 'other worker code';
  return undefined;
}

/** What a stack with no stage is: the library or V8 bucket of its leaf. */
function fallbackOf(functionName: string, url: string): string {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (url.includes('/node_modules/rabbitmq-client/')) return 'rabbitmq-client (frames, outside a stage)';
  if (url.includes('/node_modules/lmdb/')) return 'lmdb (outside a stage)';
  if (url.startsWith('node:') || functionName === '(program)' || url === '') return 'node and V8 runtime';
  return 'other';
}

/** Splits a profile's samples by stage, largest first; shares are of the busy time (idle left out). */
export function splitByStage(profile: CpuProfile): StageShare[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const stageOfNode = new Map<number, string>();
  const resolve = (id: number): string => {
    const known = stageOfNode.get(id);
    if (known !== undefined) return known;
    let stage: string | undefined;
    for (let at: number | undefined = id; at !== undefined && stage === undefined; at = parent.get(at)) stage = stageOf(byId.get(at)!.callFrame.url);
    const { functionName, url } = byId.get(id)!.callFrame;
    const found = stage ?? fallbackOf(functionName, url);
    stageOfNode.set(id, found);
    return found;
  };
  const ms = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const stage = resolve(id);
    ms.set(stage, (ms.get(stage) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const busy = [...ms].reduce((sum, [stage, t]) => (stage === 'idle' ? sum : sum + t), 0);
  return [...ms]
    .map(([stage, t]) => ({ stage, ms: t, share: stage === 'idle' ? 0 : t / busy }))
    .sort((a, b) => b.ms - a.ms);
}
