// The streaming rules of the page (src/stream.ts) and the reading of channel events
// (src/contracts.ts): what keeps the visible text right when events repeat, come early, come out
// of order or are lost and caught up. Run by `npm test` (node --test), which tests/unit runs.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { aboutMessage, readEvent, readReply } from '../src/contracts';
import { ReplyStream, StreamRouter } from '../src/stream';

const reply = (messageId: string, content: string) =>
  readReply({ messageId: `${messageId}#reply`, inReplyTo: messageId, content, status: 'complete' })!;

test('chunks show in seq order, each once, whatever order they come in', () => {
  const stream = new ReplyStream('m1');
  assert.equal(stream.addChunk(1, ' world'), false); // waits for seq 0
  assert.equal(stream.text, '');
  assert.equal(stream.hasGap, true);
  assert.equal(stream.addChunk(0, 'Hello'), true);
  assert.equal(stream.text, 'Hello world');
  assert.equal(stream.addChunk(0, 'Hello'), false); // a repeat after a reconnect
  assert.equal(stream.addChunk(1, ' world'), false);
  assert.equal(stream.text, 'Hello world');
  assert.equal(stream.lastSeq, 1);
  assert.equal(stream.hasGap, false);
});

test('the reply replaces the draft and ends the stream; later chunks change nothing', () => {
  const stream = new ReplyStream('m1');
  stream.addChunk(0, 'draft');
  assert.equal(stream.addReply(reply('m1', 'The final word.')), true);
  assert.equal(stream.text, 'The final word.');
  assert.equal(stream.final, true);
  assert.equal(stream.addChunk(1, ' more'), false);
  assert.equal(stream.addReply(reply('m1', 'again')), false);
  assert.equal(stream.text, 'The final word.');
});

test('events that come before the POST answers are kept for the message and applied when it opens', () => {
  const router = new StreamRouter();
  assert.equal(router.route({ type: 'chunk', messageId: 'm1', seq: 0, text: 'Early' }), null);
  assert.equal(router.route({ type: 'chunk', messageId: 'm1', seq: 1, text: ' bird' }), null);
  const stream = router.open('m1');
  assert.equal(stream.text, 'Early bird');
  assert.equal(router.route({ type: 'chunk', messageId: 'm1', seq: 1, text: ' bird' }), null); // nothing new
  assert.equal(router.route({ type: 'chunk', messageId: 'm1', seq: 2, text: '!' }), stream);
  assert.equal(stream.text, 'Early bird!');
});

test('a reply event goes to the stream of the message it answers (its inReplyTo), early or not', () => {
  const router = new StreamRouter();
  const event = readEvent({ type: 'reply', messageId: 'm1#reply', inReplyTo: 'm1', content: 'Done.' })!;
  assert.equal(router.route(event), null); // before the POST answered: kept for m1
  const stream = router.open('m1');
  assert.equal(stream.final, true);
  assert.equal(stream.text, 'Done.');
  assert.equal(stream.reply?.messageId, 'm1#reply');
});

test('a catch-up that overlaps the pushed chunks doubles nothing and fills the hole', () => {
  const router = new StreamRouter();
  const stream = router.open('m1');
  router.route({ type: 'chunk', messageId: 'm1', seq: 0, text: 'one' });
  router.route({ type: 'chunk', messageId: 'm1', seq: 2, text: ' three' }); // seq 1 was lost
  assert.equal(stream.text, 'one');
  assert.equal(stream.lastSeq, 0);
  const grew = router.catchUp('m1', [
    { seq: 1, text: ' two' },
    { seq: 2, text: ' three' },
    { seq: 3, text: '' }, // the done chunk
  ]);
  assert.equal(grew, true);
  assert.equal(stream.text, 'one two three');
  assert.deepEqual(router.unfinished(), [stream]);
  stream.addReply(reply('m1', 'one two three'));
  assert.deepEqual(router.unfinished(), []);
});

test('the early buffer is bounded: the oldest message is forgotten first', () => {
  const router = new StreamRouter(2);
  router.route({ type: 'chunk', messageId: 'a', seq: 0, text: 'a' });
  router.route({ type: 'chunk', messageId: 'b', seq: 0, text: 'b' });
  router.route({ type: 'chunk', messageId: 'c', seq: 0, text: 'c' });
  assert.equal(router.open('a').text, '');
  assert.equal(router.open('c').text, 'c');
});

test('channel events are read through the contract; anything else is dropped', () => {
  assert.deepEqual(readEvent('{"type":"chunk","messageId":"m1","seq":3,"text":"hi"}'), {
    type: 'chunk',
    messageId: 'm1',
    seq: 3,
    text: 'hi',
  });
  // The reply event is the reply item as it is: its own messageId, inReplyTo the user message's.
  const event = readEvent({
    type: 'reply',
    messageId: 'm1#reply',
    inReplyTo: 'm1',
    content: 'Hello.',
    status: 'fallback',
    emotion: { label: 'calm', valence: '0.2', arousal: 0.3 },
    sensations: ['warmth', 7],
    timings: { ttftMs: 412.5, totalMs: 'n/a' },
    model: 'm-1',
    insightSources: { reasoning: 'model', depth: 3 },
    factsRemembered: 2,
    chunks: 4,
  });
  assert.ok(event && event.type === 'reply');
  assert.equal(event.messageId, 'm1#reply');
  assert.equal(event.inReplyTo, 'm1');
  assert.equal(aboutMessage(event), 'm1');
  assert.equal(event.status, 'fallback');
  assert.deepEqual(event.emotion, { label: 'calm', valence: 0.2, arousal: 0.3 });
  assert.deepEqual(event.sensations, ['warmth']);
  assert.deepEqual(event.timings, { ttftMs: 412.5 });
  assert.equal(event.model, 'm-1');
  assert.deepEqual(event.insightSources, { reasoning: 'model' });
  assert.equal(event.factsRemembered, 2);
  assert.equal(event.chunks, 4);
  const malformed = [
    'not json',
    '{"type":"chunk","messageId":"m1","seq":-1,"text":"x"}',
    { type: 'other', messageId: 'm' },
    { type: 'reply', messageId: 'm1', content: 'no inReplyTo: not a reply item' },
    null,
  ];
  for (const bad of malformed) {
    assert.equal(readEvent(bad), null);
  }
});
