/**
 * The shapes the page reads from the client API (docs/design.md §3 and §8), and the checks that read them.
 *
 * Everything that crosses the network is `unknown` until one of the `read*` functions below has
 * looked at it: the page never trusts a field it has not checked, and a malformed event is dropped
 * instead of breaking the page. The checks are written by hand (a dozen fields) rather than with a
 * schema library, which would cost the page more bytes than they do; the shapes they produce are
 * the ones generated from brain_core/client_contracts.py (`contracts.generated.ts`), so a field
 * the Python side adds is a type error here until a reader fills it.
 */

import type * as wire from './contracts.generated';

export interface Emotion {
  label: string;
  valence: number; // -1 .. 1
  arousal: number; // 0 .. 1
}

/**
 * A user message as the history route returns it: the UserMessage item without `owner` (the API
 * keeps it private: agents/api/conversations.py PRIVATE_FIELDS).
 */
export interface UserMessage extends Omit<wire.UserMessage, 'owner' | 'clientMessageId'> {
  clientMessageId?: string;
}

/**
 * The brain's reply: the Messages item `<messageId>#reply` (the ReplyItem, every field read and
 * defaulted), as the history returns it and as the reply event carries it. `owner` is private,
 * as on the user message; `emotion` is read into its shape, or null.
 */
export interface BrainReply extends Required<Omit<wire.ReplyItem, 'owner' | 'emotion'>> {
  emotion: Emotion | null;
}

export type HistoryItem = UserMessage | BrainReply;

/** `{"type": "chunk", messageId, seq, text}`: one piece of the streamed draft. */
export type ChunkEvent = wire.ChunkEvent; // messageId: the user message's, as on the chunk item

/** `{"type": "reply", ...the reply item, chunks}`: the final word, after self-review. */
export interface ReplyEvent extends BrainReply {
  type: 'reply';
  chunks: number | null; // the done chunk's seq, when the publisher knew it
}

export type StreamEvent = ChunkEvent | ReplyEvent;

/** The user message an event is about: a chunk's `messageId`, a reply's `inReplyTo`. */
export function aboutMessage(event: StreamEvent): string {
  return event.type === 'chunk' ? event.messageId : event.inReplyTo;
}

/** `202` of `POST /conversations/{id}/messages`. */
export interface Posted {
  conversationId: string;
  messageId: string;
  createdAt: string;
  channel: string | null;
}

export interface ConversationSummary {
  conversationId: string;
  title: string;
  updatedAt: string;
}

/** `GET .../messages/{messageId}/chunks?after=seq`: the draft so far, for catching up. */
export interface ChunksPage {
  chunks: { seq: number; text: string }[];
  done: boolean;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const num = (value: unknown): number | null => {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
};
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];

export function readEmotion(value: unknown): Emotion | null {
  if (!isObject(value) || typeof value.label !== 'string') return null;
  return { label: value.label, valence: num(value.valence) ?? 0, arousal: num(value.arousal) ?? 0 };
}

export function readReply(value: unknown): BrainReply | null {
  if (!isObject(value) || typeof value.messageId !== 'string' || typeof value.content !== 'string') return null;
  const timings: Record<string, number> = {};
  if (isObject(value.timings)) {
    for (const [key, raw] of Object.entries(value.timings)) {
      const n = num(raw);
      if (n !== null) timings[key] = n;
    }
  }
  const insightSources: Record<string, string> = {};
  if (isObject(value.insightSources)) {
    for (const [agent, source] of Object.entries(value.insightSources)) {
      if (typeof source === 'string') insightSources[agent] = source;
    }
  }
  const messageId = value.messageId;
  return {
    role: 'brain',
    conversationId: str(value.conversationId),
    messageId,
    inReplyTo: str(value.inReplyTo, messageId.replace(/#reply$/, '')),
    content: value.content,
    sensations: strings(value.sensations),
    thoughts: strings(value.thoughts),
    memories: str(value.memories),
    selfReflection: str(value.selfReflection),
    emotion: readEmotion(value.emotion),
    status: str(value.status, 'complete'),
    timings,
    model: str(value.model),
    createdAt: str(value.createdAt),
    degraded: strings(value.degraded),
    insightSources,
    factsRemembered: num(value.factsRemembered) ?? 0,
  };
}

export function readHistoryItem(value: unknown): HistoryItem | null {
  if (!isObject(value)) return null;
  if (value.role === 'brain') return readReply(value);
  if (value.role !== 'user' || typeof value.messageId !== 'string' || typeof value.content !== 'string') return null;
  return {
    role: 'user',
    conversationId: str(value.conversationId),
    messageId: value.messageId,
    content: value.content,
    createdAt: str(value.createdAt),
    ...(typeof value.clientMessageId === 'string' ? { clientMessageId: value.clientMessageId } : {}),
  };
}

/** An event from the channel (Amplify hands on the parsed JSON), or null when it is not one of ours. */
export function readEvent(value: unknown): StreamEvent | null {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (!isObject(value) || typeof value.messageId !== 'string') return null;
  if (value.type === 'chunk') {
    const seq = num(value.seq);
    if (seq === null || !Number.isInteger(seq) || seq < 0 || typeof value.text !== 'string') return null;
    return { type: 'chunk', messageId: value.messageId, seq, text: value.text };
  }
  if (value.type === 'reply') {
    // The reply item as it is: its own messageId and the inReplyTo it answers (no swapping back).
    const reply = typeof value.inReplyTo === 'string' ? readReply(value) : null;
    const chunks = num(value.chunks);
    return reply && { ...reply, type: 'reply', chunks };
  }
  return null;
}

export function readPosted(value: unknown): Posted | null {
  if (!isObject(value) || typeof value.messageId !== 'string' || typeof value.conversationId !== 'string') return null;
  return {
    conversationId: value.conversationId,
    messageId: value.messageId,
    createdAt: str(value.createdAt),
    channel: typeof value.channel === 'string' ? value.channel : null,
  };
}

export function readConversations(value: unknown): { items: ConversationSummary[]; nextToken: string | null } {
  const items: ConversationSummary[] = [];
  if (isObject(value) && Array.isArray(value.items)) {
    for (const item of value.items) {
      if (isObject(item) && typeof item.conversationId === 'string') {
        items.push({ conversationId: item.conversationId, title: str(item.title), updatedAt: str(item.updatedAt) });
      }
    }
  }
  return { items, nextToken: isObject(value) && typeof value.nextToken === 'string' ? value.nextToken : null };
}

export function readHistoryPage(value: unknown): { items: HistoryItem[]; nextToken: string | null } {
  const items: HistoryItem[] = [];
  if (isObject(value) && Array.isArray(value.items)) {
    for (const raw of value.items) {
      const item = readHistoryItem(raw);
      if (item) items.push(item);
    }
  }
  return { items, nextToken: isObject(value) && typeof value.nextToken === 'string' ? value.nextToken : null };
}

export function readChunksPage(value: unknown): ChunksPage {
  const chunks: { seq: number; text: string }[] = [];
  if (isObject(value) && Array.isArray(value.chunks)) {
    for (const raw of value.chunks) {
      const seq = isObject(raw) ? num(raw.seq) : null;
      if (isObject(raw) && seq !== null && typeof raw.text === 'string') chunks.push({ seq, text: raw.text });
    }
  }
  return { chunks, done: isObject(value) && value.done === true };
}

/** The API's 4xx/5xx body: `{"error", "message"}` (ours) or `{"message"}` (API Gateway's). */
export function readApiError(status: number | undefined, body: unknown): string {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = body;
    }
  }
  const message = isObject(parsed) ? str(parsed.message) : typeof parsed === 'string' ? parsed : '';
  const prefix = status ? `The server answered ${status}` : 'The server could not be reached';
  return message ? `${prefix}: ${message}` : `${prefix}.`;
}
