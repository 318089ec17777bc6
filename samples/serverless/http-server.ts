// A plain node:http host for the same handler: POST /jobs with the scheduler's message, 127.0.0.1 only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { JobStatus } from '../../lib/index.ts';
import { handle } from './handler.ts';

const MAX_BODY = 1024 * 1024;

export function createJobServer(): Server {
  // A request whose handling throws gets a 500; the rejection is never left unhandled.
  return createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(error instanceof Error ? error.message : String(error));
    });
  });
}

async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST' || req.url !== '/jobs') return void res.writeHead(404).end();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if ((size += chunk.length) > MAX_BODY) return void res.writeHead(413).end();
    chunks.push(chunk);
  }
  const aborted = new AbortController(); // the client went away: stop the job
  res.once('close', () => res.writableFinished || aborted.abort());
  const result = await handle({ body: Buffer.concat(chunks), headers: { CorrelationId: req.headers['x-occurrence-id'] } }, { signal: aborted.signal });
  res.writeHead(result.status === JobStatus.Completed ? 200 : 422, { 'content-type': 'application/json' }).end(JSON.stringify(result));
}

// `npx tsx samples/serverless/http-server.ts` listens on 127.0.0.1:8080.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  createJobServer().listen(8080, '127.0.0.1', () => console.log('POST http://127.0.0.1:8080/jobs'));
}
