/**
 * The HTTP API's routes (docs/design.md §8), through aws-amplify's REST client (`API.REST.brain` of the
 * configuration) with the signed-in user's access token as `Authorization: Bearer`.
 *
 * Every answer is read through the checks in `contracts.ts`; every failure becomes an `ApiFailure`
 * with a sentence a person can act on.
 */

import { get, post } from 'aws-amplify/api';

import {
  type BrainReply,
  type ChunksPage,
  type ConversationSummary,
  type HistoryItem,
  type Posted,
  readApiError,
  readChunksPage,
  readConversations,
  readHistoryPage,
  readPosted,
} from './contracts';
import { accessToken } from './session';

export class ApiFailure extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
  }
}

type Method = typeof get | typeof post;

async function call(method: Method, path: string, extra: { body?: object; queryParams?: Record<string, string> } = {}) {
  const token = await accessToken();
  const options = { headers: { Authorization: `Bearer ${token}` }, ...extra } as Parameters<typeof post>[0]['options'];
  try {
    const { body } = await method({ apiName: 'brain', path, options }).response;
    return (await body.json()) as unknown;
  } catch (error) {
    const response = (error as { response?: { statusCode?: number; body?: string } }).response;
    if (response) throw new ApiFailure(readApiError(response.statusCode, response.body), response.statusCode);
    throw new ApiFailure(readApiError(undefined, (error as Error)?.message ?? String(error)));
  }
}

const enc = encodeURIComponent;

export async function postMessage(conversationId: string, content: string, clientMessageId: string): Promise<Posted> {
  const answer = readPosted(
    await call(post, `/conversations/${enc(conversationId)}/messages`, { body: { content, clientMessageId } }),
  );
  if (!answer) throw new ApiFailure('The server accepted the message but its answer was not understood.');
  return answer;
}

type Page<T> = { items: T[]; nextToken: string | null };

/** Every item of a listing, page after page: each page's `nextToken` asks for the next (the page's
 * one paginator, as brain_core.store.query_pages is the functions' over DynamoDB's pages). */
async function everyPage<T>(page: (token: string | null) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | null = null;
  do {
    const next: Page<T> = await page(token);
    items.push(...next.items);
    token = next.nextToken;
  } while (token);
  return items;
}

/** The whole conversation (every page), in order. */
export async function history(conversationId: string): Promise<HistoryItem[]> {
  const path = `/conversations/${enc(conversationId)}/messages`;
  return everyPage(async (after) => readHistoryPage(await call(get, path, { queryParams: after ? { after } : {} })));
}

/** The caller's conversations, newest first (the first page: the newest ones are what a list shows). */
export async function conversations(): Promise<ConversationSummary[]> {
  return readConversations(await call(get, '/conversations')).items;
}

/** A reply's draft after chunk `afterSeq`, to catch up on what the pushed stream missed. */
export async function chunksAfter(conversationId: string, messageId: string, afterSeq: number): Promise<ChunksPage> {
  const path = `/conversations/${enc(conversationId)}/messages/${enc(messageId)}/chunks`;
  return readChunksPage(await call(get, path, afterSeq >= 0 ? { queryParams: { after: String(afterSeq) } } : {}));
}

/** The reply to `messageId` if it is written (it sorts right after the message it answers). */
export async function replyTo(conversationId: string, messageId: string): Promise<BrainReply | null> {
  const queryParams = { after: messageId, limit: '1' };
  const page = readHistoryPage(await call(get, `/conversations/${enc(conversationId)}/messages`, { queryParams }));
  const found = page.items.find((item) => item.role === 'brain' && item.inReplyTo === messageId);
  return found && found.role === 'brain' ? found : null;
}
