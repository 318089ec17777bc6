// Specs of the strict Prometheus text parser the metrics specs rely on: what it reads, and that it refuses
// every kind of malformed exposition instead of skipping a line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePrometheusText } from './parse-prometheus-text.ts';

const GOOD = [
  '# HELP jobs_total Jobs, with a \\\\ and a \\n in the help.',
  '# TYPE jobs_total counter',
  'jobs_total{job="a\\"b\\\\c\\nd",outcome="completed"} 2',
  'jobs_total{job="x",outcome="failed",} 0',
  '',
  '# TYPE lag gauge',
  'lag NaN',
  '# TYPE seconds histogram',
  'seconds_bucket{le="0.5"} 1',
  'seconds_bucket{le="+Inf"} 3',
  'seconds_sum 7.25e0',
  'seconds_count 3',
  '',
].join('\n');

describe('parsePrometheusText()', () => {
  it('reads families, escapes, special values and histograms', () => {
    const x = parsePrometheusText(GOOD);
    assert.deepEqual([...x.families.keys()], ['jobs_total', 'lag', 'seconds']);
    assert.equal(x.families.get('jobs_total')!.help, 'Jobs, with a \\ and a \n in the help.');
    assert.equal(x.value('jobs_total', { outcome: 'completed', job: 'a"b\\c\nd' }), 2);
    assert.ok(Number.isNaN(x.value('lag')));
    assert.equal(x.value('seconds_bucket', { le: '+Inf' }), 3);
    assert.equal(x.value('seconds_sum'), 7.25);
    assert.equal(x.value('seconds_count', { le: '+Inf' }), undefined, 'labels must match exactly');
  });

  for (const [what, text, error] of [
    ['no final line feed', '# TYPE a gauge\na 1', /line feed/],
    ['a stray comment', '# TYPE a gauge\n# just a comment\na 1\n', /neither HELP nor TYPE/],
    ['a sample of no declared family', '# TYPE a gauge\nb 1\n', /no family declared/],
    ['a sample before its TYPE', 'a 1\n# TYPE a gauge\n', /no family declared/],
    ['a family that comes back', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# HELP a again\n', /one group/],
    ['a sample outside its group', '# TYPE a gauge\n# TYPE b gauge\na 1\n', /one group|outside the group/],
    ['two TYPE lines', '# TYPE a gauge\n# TYPE a gauge\n', /second TYPE/],
    ['two HELP lines', '# HELP a x\n# HELP a y\n# TYPE a gauge\n', /second HELP/],
    ['a HELP without TYPE', '# HELP a x\n', /no TYPE/],
    ['an unknown type', '# TYPE a meter\n', /unknown type/],
    ['an invalid metric name', '# TYPE 1a gauge\n', /metric name/],
    ['an invalid label name', '# TYPE a gauge\na{1x="y"} 1\n', /label name/],
    ['a reserved label name', '# TYPE a gauge\na{__name__="y"} 1\n', /label name/],
    ['an unquoted label value', '# TYPE a gauge\na{x=y} 1\n', /label pair/],
    ['a bad escape', '# TYPE a gauge\na{x="\\t"} 1\n', /escape/],
    ['a label twice', '# TYPE a gauge\na{x="1",x="2"} 1\n', /twice/],
    ['a missing comma', '# TYPE a gauge\na{x="1"y="2"} 1\n', /expected ,/],
    ['an invalid value', '# TYPE a gauge\na 1,5\n', /invalid value/],
    ['two spaces', '# TYPE a gauge\na  1\n', /invalid value|one space/],
    ['a duplicate sample', '# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n', /same name and labels/],
    ['a negative counter', '# TYPE a counter\na -1\n', /negative counter/],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n', /\+Inf/],
    ['buckets that are not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n', /cumulative/],
    ['a _count off the +Inf bucket', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n', /_count/],
    ['le outside _bucket', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum{le="1"} 1\nh_count 1\n', /le belongs/],
  ] as const) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parsePrometheusText(text), error);
    });
  }
});
