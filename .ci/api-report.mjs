// The public API, pinned: builds lib/ into dist/ (tsc -p lib) and runs API Extractor once per entry of package.json's
// `exports`, each against its compiled declarations. `npm run api` fails, naming the entry and showing the diff, when
// a report differs from the one committed under .ci/api/; `npm run api:update` rewrites the reports.
// API Extractor takes one entry per run, so the configuration is built here (one object per entry) instead of
// nine api-extractor.json files. A warning (an unexported type in a public signature: ae-forgotten-export) fails too.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPORTS = path.join(ROOT, '.ci/api');
const update = process.argv.includes('--update');

/** One entry per subpath of package.json's exports: `.` → index.api.md, `./amqp` → amqp.api.md. */
function entries() {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return Object.entries(manifest.exports)
    .filter(([, target]) => typeof target === 'object' && target.types)
    .map(([subpath, target]) => ({
      subpath: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`,
      report: subpath === '.' ? 'index' : subpath.slice(2),
      declarations: path.join(ROOT, target.types),
    }));
}

function build() {
  rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
  const tsc = spawnSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'lib'], { cwd: ROOT, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error('tsc -p lib failed');
}

/** Messages that are noise for this package: release tags (it has no @beta/@alpha split) and TSDoc's own syntax. */
const MESSAGES = {
  compilerMessageReporting: { default: { logLevel: 'warning' } },
  extractorMessageReporting: {
    default: { logLevel: 'warning' },
    'ae-missing-release-tag': { logLevel: 'none' },
    'ae-forgotten-export': { logLevel: 'error', addToApiReportFile: false },
    // Documentation is TypeDoc's check (npm run docs); API Extractor would ask for a comment on every member too.
    'ae-undocumented': { logLevel: 'none' },
    // Links are TypeDoc's check too (npm run docs fails on a broken one); API Extractor's resolver calls a link to a
    // name that is both a const and a type (JobStatus) ambiguous.
    'ae-unresolved-link': { logLevel: 'none' },
  },
  tsdocMessageReporting: { default: { logLevel: 'none' } },
};

/**
 * Unexported types that a public signature still names, each waiting for its file to export it. Keep this empty:
 * a name here is a type a user cannot name.
 */
const KNOWN_FORGOTTEN = new Set([
  'ReporterIdentity', // transports/amqp/create-handler-reporter.ts: HandlerReporterOptions = ReporterIdentity & …
]);

/** The names a report exports: its `export … Name` declarations and `export { Name }` re-exports. */
function exportedNames(report) {
  const names = new Set();
  for (const m of report.matchAll(/^export (?:declare )?(?:abstract )?(?:function|class|interface|type|const|let|var|enum|namespace) (\w+)/gm)) names.add(m[1]);
  for (const m of report.matchAll(/^export \{ ([^}]+) \}/gm)) for (const name of m[1].split(',')) names.add(name.trim().split(/\s+as\s+/).pop());
  return [...names];
}

/**
 * Runs API Extractor on one entry; writes its report into `folder`; returns the problems it reported. It sees one
 * entry at a time, so a type exported by another entry of the package comes back as a forgotten export: those are
 * kept apart (`forgotten`, by name) and dropped later if another entry exports the name.
 */
function extract(entry, folder) {
  const config = ExtractorConfig.prepare({
    configObjectFullPath: path.join(ROOT, '.ci/api-report.json'),
    packageJsonFullPath: path.join(ROOT, 'package.json'),
    configObject: {
      projectFolder: ROOT,
      mainEntryPointFilePath: entry.declarations,
      compiler: {
        overrideTsconfig: {
          compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023'], types: ['node'], strict: true, skipLibCheck: true },
          files: [entry.declarations],
        },
      },
      apiReport: { enabled: true, reportFileName: entry.report, reportFolder: folder, reportTempFolder: folder },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: MESSAGES,
    },
  });
  const problems = [];
  const forgotten = [];
  const result = Extractor.invoke(config, {
    localBuild: true,
    messageCallback(message) {
      message.handled = true;
      if (message.logLevel !== 'error' && message.logLevel !== 'warning') return;
      const text = `${entry.subpath}: ${message.formatMessageWithLocation(ROOT)}`;
      const symbol = message.messageId === 'ae-forgotten-export' ? /The symbol "([^"]+)"/.exec(message.text)?.[1] : undefined;
      if (symbol) forgotten.push({ symbol, text });
      else problems.push(text);
    },
  });
  if (!result.succeeded && problems.length === 0 && forgotten.length === 0) problems.push(`${entry.subpath}: API Extractor failed`);
  return { problems, forgotten };
}

function diff(committed, fresh) {
  return spawnSync('git', ['diff', '--no-index', '--no-color', committed, fresh], { encoding: 'utf8' }).stdout;
}

build();
const folder = mkdtempSync(path.join(tmpdir(), 'api-report-'));
const problems = [];
const changed = [];
const forgotten = [];
/** Which entries export each name: a name belongs to one subpath. */
const owners = new Map();
const counts = [];
try {
  for (const entry of entries()) {
    const found = extract(entry, folder);
    problems.push(...found.problems);
    forgotten.push(...found.forgotten);
    const fresh = path.join(folder, `${entry.report}.api.md`);
    const names = exportedNames(readFileSync(fresh, 'utf8'));
    counts.push(`${entry.subpath} ${names.length}`);
    for (const name of names) owners.set(name, [...(owners.get(name) ?? []), entry.subpath]);
    const committed = path.join(REPORTS, `${entry.report}.api.md`);
    if (update) {
      mkdirSync(REPORTS, { recursive: true });
      copyFileSync(fresh, committed);
    } else if (!existsSync(committed)) {
      changed.push(`${entry.subpath}: no committed report (.ci/api/${entry.report}.api.md); run npm run api:update`);
    } else if (readFileSync(committed, 'utf8') !== readFileSync(fresh, 'utf8')) {
      changed.push(`${entry.subpath}: the public API differs from .ci/api/${entry.report}.api.md (run npm run api:update and commit it if the change is meant):\n${diff(committed, fresh)}`);
    }
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
// A report whose entry is gone from package.json's exports: removed by api:update, a difference otherwise.
const reports = new Set(entries().map((entry) => `${entry.report}.api.md`));
for (const file of existsSync(REPORTS) ? readdirSync(REPORTS) : []) {
  if (reports.has(file)) continue;
  if (update) rmSync(path.join(REPORTS, file));
  else changed.push(`.ci/api/${file}: no entry of package.json's exports has this report; run npm run api:update`);
}
for (const { symbol, text } of forgotten) if (!owners.has(symbol) && !KNOWN_FORGOTTEN.has(symbol)) problems.push(text);
for (const [name, subpaths] of owners) if (subpaths.length > 1) problems.push(`${name} is exported by ${subpaths.join(' and ')}: a name belongs to one subpath`);
const total = [...owners.keys()].length;
console.log(`exported names: ${counts.join(', ')}; ${total} in all`);
for (const text of [...problems, ...changed]) console.error(text);
if (problems.length > 0 || changed.length > 0) {
  console.error(`npm run api: ${problems.length} problem(s), ${changed.length} entry report(s) differ`);
  process.exit(1);
}
console.log(update ? `npm run api:update: ${entries().length} reports written to .ci/api/` : `npm run api: ${entries().length} entry reports match .ci/api/`);
