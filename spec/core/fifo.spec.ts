import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fifo } from '../../lib/core/util/fifo.ts';

describe('Fifo', () => {
  it('keeps first-in first-out order across compactions, and drains what is left', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 3000; i++) assert.equal(q.shift(), i); // passes the compaction threshold
    q.push(5000);
    assert.equal(q.length, 2001);
    assert.equal(q.shift(), 3000);
    const rest = q.drain();
    assert.equal(rest.length, 2000);
    assert.equal(rest[0], 3001);
    assert.equal(rest.at(-1), 5000);
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
  });
});
