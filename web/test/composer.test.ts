// The composer's length rule (src/composer.ts), the words under a reply and the signed numbers of
// the inner life (src/view.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { countChars, counterText, measure, tooLongText } from '../src/composer';
import { signed, statusText } from '../src/view';

test('characters are counted as the API counts them: code points, not UTF-16 units', () => {
  assert.equal(countChars('abc'), 3);
  assert.equal(countChars('🧠🥤'), 2); // 4 UTF-16 units: textarea.maxLength would count 4
  assert.equal(countChars('é'), 1);
  assert.equal(countChars(''), 0);
  // 4,000 emoji are 4,000 characters to the API: within the limit, though 8,000 units long.
  const emoji = '🧠'.repeat(4000);
  assert.equal(emoji.length, 8000);
  assert.deepEqual(measure(emoji, 4000), { count: 4000, max: 4000, near: true, over: false });
});

test('the counter shows near the limit; over it, the refusal says by how much and that nothing was cut', () => {
  assert.equal(measure('x'.repeat(3599), 4000).near, false);
  assert.equal(measure('x'.repeat(3600), 4000).near, true);
  const over = measure('x'.repeat(4154), 4000);
  assert.equal(over.over, true);
  assert.equal(counterText(over), '4,154 / 4,000');
  assert.match(tooLongText(over), /4,154 characters, 154 over the limit of 4,000: it was not sent\. .*nothing was cut/);
  assert.equal(measure('x'.repeat(4000), 4000).over, false);
});

test('a value that rounds to zero is 0.0, never -0.0; others carry their sign', () => {
  assert.equal(signed(-0.04), '0.0');
  assert.equal(signed(-0), '0.0');
  assert.equal(signed(0), '0.0');
  assert.equal(signed(0.04), '0.0');
  assert.equal(signed(0.26), '+0.3');
  assert.equal(signed(-0.26), '-0.3');
  assert.equal(signed(-1), '-1.0');
});

test('a complete reply says nothing of its status; the others say what went wrong in words', () => {
  assert.equal(statusText('complete', []), '');
  assert.match(statusText('fallback', []), /could not answer properly/);
  assert.doesNotMatch(statusText('fallback', []), /fallback/);
  assert.equal(statusText('complete', ['depth', 'emotional']), 'Missing this time: its memories, its emotion.');
});
