/**
 * One reply as it streams in, and the routing of channel events to it. No DOM, no network: the
 * rules that keep the text right are here, where `npm test` checks them.
 *
 * - Chunks are shown in `seq` order, each once: a chunk seen twice (a reconnect, a catch-up that
 *   overlaps the pushed stream) changes nothing, and a chunk that arrives early waits for the ones
 *   before it, so the visible text never has a hole.
 * - The reply (after self-review) is the final word: its `content` replaces the draft.
 * - Events can arrive before the POST that caused them has answered (the pushed stream can be that
 *   quick): the router keeps them, a bounded number, until the message's id is known.
 */

import { aboutMessage, type BrainReply, type StreamEvent } from './contracts';

export class ReplyStream {
  readonly messageId: string;
  private readonly pending = new Map<number, string>();
  private nextSeq = 0;
  private draft = '';
  reply: BrainReply | null = null;

  constructor(messageId: string) {
    this.messageId = messageId;
  }

  /** Take one chunk; true when the visible text changed. */
  addChunk(seq: number, text: string): boolean {
    if (this.reply || seq < this.nextSeq || this.pending.has(seq)) return false;
    this.pending.set(seq, text);
    let grew = false;
    while (this.pending.has(this.nextSeq)) {
      this.draft += this.pending.get(this.nextSeq);
      this.pending.delete(this.nextSeq);
      this.nextSeq += 1;
      grew = true;
    }
    return grew;
  }

  /** Take the final reply; true the first time. */
  addReply(reply: BrainReply): boolean {
    if (this.reply) return false;
    this.reply = reply;
    this.pending.clear();
    return true;
  }

  apply(event: StreamEvent): boolean {
    return event.type === 'chunk' ? this.addChunk(event.seq, event.text) : this.addReply(event);
  }

  /** The text to show: the reply when there is one, else the contiguous draft. */
  get text(): string {
    return this.reply ? this.reply.content : this.draft;
  }

  /** The seq after which a catch-up should start (-1: from the beginning). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Chunks are waiting for an earlier one that has not come (lost while disconnected?). */
  get hasGap(): boolean {
    return this.pending.size > 0;
  }

  get final(): boolean {
    return this.reply !== null;
  }
}

/** Where events for a message go: its stream once known, a small buffer before that. */
export class StreamRouter {
  private readonly streams = new Map<string, ReplyStream>();
  private readonly early = new Map<string, StreamEvent[]>();
  private readonly maxEarly: number;

  constructor(maxEarly = 32) {
    this.maxEarly = maxEarly;
  }

  /** The stream of `messageId`, with whatever arrived for it before this call. */
  open(messageId: string): ReplyStream {
    let stream = this.streams.get(messageId);
    if (!stream) {
      stream = new ReplyStream(messageId);
      this.streams.set(messageId, stream);
      for (const event of this.early.get(messageId) ?? []) stream.apply(event);
      this.early.delete(messageId);
    }
    return stream;
  }

  get(messageId: string): ReplyStream | undefined {
    return this.streams.get(messageId);
  }

  close(messageId: string): void {
    this.streams.delete(messageId);
    this.early.delete(messageId);
  }

  /** Streams still waiting for their reply. */
  unfinished(): ReplyStream[] {
    return [...this.streams.values()].filter((s) => !s.final);
  }

  /** Route one event: the stream it changed, or null (kept for later, or nothing new). */
  route(event: StreamEvent): ReplyStream | null {
    const messageId = aboutMessage(event);
    const stream = this.streams.get(messageId);
    if (stream) return stream.apply(event) ? stream : null;
    let kept = this.early.get(messageId);
    if (!kept) {
      if (this.early.size >= this.maxEarly) {
        const oldest = this.early.keys().next().value;
        if (oldest !== undefined) this.early.delete(oldest);
      }
      kept = [];
      this.early.set(messageId, kept);
    }
    kept.push(event);
    return null;
  }

  /** Catch-up results go through the same rules as pushed events. */
  catchUp(messageId: string, chunks: { seq: number; text: string }[]): boolean {
    const stream = this.streams.get(messageId);
    if (!stream) return false;
    let grew = false;
    for (const chunk of chunks) grew = stream.addChunk(chunk.seq, chunk.text) || grew;
    return grew;
  }
}
