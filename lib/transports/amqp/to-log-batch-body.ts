// Milvaion 10.1's WorkerLogBatchMessage (`Worker:RabbitMQ:LogBatching`): WorkerLogMessages wrapped as
// {Logs, BatchTimestamp, Count}, as the .NET LogPublisher sends them to worker_logs_queue. Built from the
// entries' JSON bytes, so a stored log is never parsed again.

const OPEN = Buffer.from('{"Logs":[');
const COMMA = Buffer.from(',');

/**
 * Wraps WorkerLogMessage bodies (JSON objects, in order) in one WorkerLogBatchMessage body. The scheduler's
 * LogCollectorService reads a body whose `Logs` list is not empty as a batch, and anything else as one log.
 */
export function toLogBatchBody(bodies: readonly Buffer[], now: number = Date.now()): Buffer {
  const parts: Buffer[] = [OPEN];
  bodies.forEach((body, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(body);
  });
  parts.push(Buffer.from(`],"BatchTimestamp":"${new Date(now).toISOString()}","Count":${bodies.length}}`));
  return Buffer.concat(parts);
}
