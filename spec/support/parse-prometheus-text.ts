// A strict parser of the Prometheus text exposition format 0.0.4, for specs (prom-client renders but does not
// parse). Every line must be a `# HELP`, a `# TYPE`, a sample or empty; names, labels, escapes and values must
// be valid; every family has one TYPE (and at most one HELP) before its samples, every sample belongs to such a
// family, and a family's lines form one group that never repeats; histograms must have ascending cumulative buckets ending at +Inf, with _count equal
// to that last bucket. Any violation throws, naming the line.

/** The metric types of the format. */
type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line. */
interface ParsedSample {
  /** The sample's own name: the family's, or with `_bucket`, `_sum`, `_count`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family: its TYPE, HELP and samples in order. */
interface ParsedFamily {
  readonly name: string;
  type: MetricType;
  help: string | undefined;
  readonly samples: ParsedSample[];
}

/** A parsed exposition. */
export interface ParsedExposition {
  /** The families in the order they appear. */
  readonly families: ReadonlyMap<string, ParsedFamily>;
  /** The value of the sample `name` whose labels are exactly `labels` (in any order), or undefined. */
  value(name: string, labels?: Readonly<Record<string, string>>): number | undefined;
  /** Every sample named `name`. */
  samples(name: string): ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** A decimal float as Go's ParseFloat reads it, which the format refers to: Inf, Infinity and NaN in any case. */
const FLOAT = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|[+-]?inf(?:inity)?|[+-]?nan)$/i;
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** Parses a float as the format allows it (`+Inf`, `-Inf`, `NaN` included); throws on anything else. */
function parseFloatStrict(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: invalid value ${JSON.stringify(text)}`);
  const lower = text.toLowerCase();
  if (lower.endsWith('nan')) return NaN;
  return lower.includes('inf') ? (lower.startsWith('-') ? -Infinity : Infinity) : Number(text);
}

/** Parses and checks a whole exposition; throws on the first violation. */
export function parsePrometheusText(text: string): ParsedExposition {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, ParsedFamily>();
  const state: ParseState = { current: undefined, closed: new Set(), seen: new Set(), typed: new Set() };
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => parseLine(line, `line ${i + 1} ${JSON.stringify(line.slice(0, 120))}`, families, state));
  for (const family of families.values()) {
    if (!state.typed.has(family.name)) throw new Error(`${family.name} has no TYPE line`);
    if (family.type === 'histogram') checkHistogram(family);
  }
  const all = [...families.values()].flatMap((f) => f.samples);
  const key = (labels: Readonly<Record<string, string>>) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    families,
    samples: (name) => all.filter((s) => s.name === name),
    value(name, labels = {}) {
      const wanted = key(labels);
      return all.find((s) => s.name === name && key(s.labels) === wanted)?.value;
    },
  };
}

interface ParseState {
  current: ParsedFamily | undefined;
  /** Families whose group has ended: they must not come back. */
  readonly closed: Set<string>;
  /** Every sample name and label set so far, to refuse duplicates. */
  readonly seen: Set<string>;
  /** The families that had their TYPE line. */
  readonly typed: Set<string>;
}

/** Makes `name` the family being read, closing the previous one; a closed family coming back is an error. */
function enter(name: string, where: string, state: ParseState): void {
  if (state.current?.name === name) return;
  if (state.closed.has(name)) throw new Error(`${where}: the lines of ${name} do not form one group`);
  if (state.current !== undefined) state.closed.add(state.current.name);
  state.current = undefined;
}

function parseLine(line: string, where: string, families: Map<string, ParsedFamily>, state: ParseState): void {
  if (line === '') return; // empty lines are allowed and ignored
  const meta = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
  if (line.startsWith('#') && meta === null) throw new Error(`${where}: a comment that is neither HELP nor TYPE`);
  if (meta !== null) {
    const [, keyword, name = '', rest = ''] = meta;
    if (!METRIC_NAME.test(name)) throw new Error(`${where}: invalid metric name`);
    enter(name, where, state);
    const family = families.get(name) ?? families.set(name, { name, type: 'untyped', help: undefined, samples: [] }).get(name)!;
    state.current = family;
    if (family.samples.length > 0) throw new Error(`${where}: ${keyword} after samples of ${name}`);
    if (keyword === 'TYPE') {
      if (state.typed.has(name)) throw new Error(`${where}: a second TYPE for ${name}`);
      if (!TYPES.includes(rest as MetricType)) throw new Error(`${where}: unknown type ${JSON.stringify(rest)}`);
      family.type = rest as MetricType;
      state.typed.add(name);
      return;
    }
    if (family.help !== undefined) throw new Error(`${where}: a second HELP for ${name}`);
    family.help = unescape(rest, false, where);
    return;
  }
  parseSample(line, where, families, state);
}

function parseSample(line: string, where: string, families: ReadonlyMap<string, ParsedFamily>, state: ParseState): void {
  const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
  if (head === null) throw new Error(`${where}: not a sample line`);
  const name = head[1]!;
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.startsWith('{')) {
    const parsed = parseLabels(rest, where);
    labels = parsed.labels;
    rest = rest.slice(parsed.length);
  }
  const fields = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
  if (fields === null) throw new Error(`${where}: expected one space, a value and an optional timestamp after the labels`);
  const value = parseFloatStrict(fields[1]!, where);
  const family = [...families.values()].find((f) => state.typed.has(f.name) && SUFFIXES[f.type].some((suffix) => `${f.name}${suffix}` === name));
  if (family === undefined) throw new Error(`${where}: ${name} belongs to no family declared by a TYPE line before it`);
  if (state.current !== family) throw new Error(`${where}: ${name} is outside the group of ${family.name}`);
  if (family.type === 'histogram' && name.endsWith('_bucket') !== 'le' in labels) throw new Error(`${where}: le belongs on _bucket lines only`);
  if (family.type === 'counter' && value < 0) throw new Error(`${where}: a negative counter`);
  const id = `${name}${JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
  if (state.seen.has(id)) throw new Error(`${where}: a second sample with the same name and labels`);
  state.seen.add(id);
  family.samples.push({ name, labels, value });
}

/** Parses `{a="x",b="y"}` at the start of `text` (a trailing comma is allowed); returns the labels and the length read. */
function parseLabels(text: string, where: string): { labels: Record<string, string>; length: number } {
  const labels: Record<string, string> = {};
  let i = 1;
  while (text[i] !== '}') {
    const pair = /^([^=]*)="((?:[^"\\\n]|\\.)*)"(,?)/.exec(text.slice(i));
    if (pair === null) throw new Error(`${where}: invalid label pair`);
    const [all, labelName = '', raw = '', comma] = pair;
    if (!LABEL_NAME.test(labelName) || labelName.startsWith('__')) throw new Error(`${where}: invalid label name ${JSON.stringify(labelName)}`);
    if (Object.hasOwn(labels, labelName)) throw new Error(`${where}: label ${labelName} twice`);
    labels[labelName] = unescape(raw, true, where);
    i += all.length;
    if (comma === '' && text[i] !== '}') throw new Error(`${where}: expected , or } after label ${labelName}`);
  }
  return { labels, length: i + 1 };
}

/** Undoes the format's escapes: `\\` and `\n` (and `\"` in label values); any other backslash is an error. */
function unescape(text: string, quote: boolean, where: string): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    if (c === '"' && quote) return '"';
    throw new Error(`${where}: invalid escape \\${c}`);
  });
}

/** Checks each series of a histogram: buckets ascending by le, cumulative, ending at +Inf = _count; one _sum. */
function checkHistogram(family: ParsedFamily): void {
  const series = new Map<string, { buckets: ParsedSample[]; sum: number; count: number | undefined }>();
  for (const s of family.samples) {
    const { le: _le, ...rest } = s.labels;
    const id = JSON.stringify(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : 1)));
    const entry = series.get(id) ?? series.set(id, { buckets: [], sum: 0, count: undefined }).get(id)!;
    if (s.name.endsWith('_bucket')) entry.buckets.push(s);
    else if (s.name.endsWith('_sum')) entry.sum++;
    else entry.count = s.value;
  }
  for (const [id, { buckets, sum, count }] of series) {
    const where = `histogram ${family.name}${id}`;
    const les = buckets.map((b) => parseFloatStrict(b.labels['le']!, where));
    if (les.at(-1) !== Infinity) throw new Error(`${where}: the last bucket must be le="+Inf"`);
    les.forEach((le, i) => {
      if (i > 0 && !(le > les[i - 1]!)) throw new Error(`${where}: le values must ascend`);
      if (i > 0 && buckets[i]!.value < buckets[i - 1]!.value) throw new Error(`${where}: buckets must be cumulative`);
    });
    if (sum !== 1 || count === undefined) throw new Error(`${where}: needs one _sum and one _count`);
    if (count !== buckets.at(-1)!.value) throw new Error(`${where}: _count ${count} differs from the +Inf bucket ${buckets.at(-1)!.value}`);
  }
}
