/**
 * The Brain in Cup web chat: sign in, pick or start a conversation, send, watch the reply stream in
 * and the brain's inner life arrive. This module wires the parts together (session, api, live,
 * stream, view) and keeps the page's state: who is signed in, the open conversation, the turns
 * waiting for their reply.
 *
 * Signing out forgets everything of the person on this page (the composer, the retry, the open
 * conversation in the URL, the lists) and anything still on its way for them is dropped: the next
 * person to sign in on this device starts from nothing. The focus is always somewhere a person can
 * act (never left on the page's body): the composer after signing in and after a send, the chosen
 * link in the list, the drawer while it is open.
 *
 * Sending is optimistic: the user's bubble and the `thinking` indicator are in the DOM before the
 * click handler returns, before any request. Replies stream from the pushed channel; a reply whose
 * events stop coming (a dropped socket, a lost event) is caught up from the API by `seq`.
 */

import * as api from './api';
import { ApiFailure } from './api';
import type { BrainReply, HistoryItem, StreamEvent } from './contracts';
import { counterText, measure, tooLongText } from './composer';
import { Drawer } from './drawer';
import { LiveStream } from './live';
import { configure, currentIdentity, type Identity, type PageConfig, SignedOut, signInAs, signInProblem, signOutNow } from './session';
import { type ReplyStream, StreamRouter } from './stream';
import { byId, ErrorBanner, followingTheEnd, renderConversations, Turn } from './view';

/** A reply that has shown no progress for this long is caught up from the API. */
const STALL_MS = 2500;
/** Chunks waiting behind a missing one for this long: the missing one was lost, catch up. */
const GAP_MS = 800;
/** Words shown, none new for this long and no reply yet: the text has most likely ended and the
 * inner life is being thought (the channel says nothing between the language step's last chunk
 * and the reply; on a first message that is ~1.5 s), so the bubble says it is still at work. */
const QUIET_MS = 900;

interface Waiting {
  turn: Turn;
  conversationId: string;
  startedAt: number | null; // performance.now() of the click, for the timing line
  firstWordsAt: number | null;
  grewAt: number; // the last time the visible text changed
  progressAt: number;
  gapSince: number | null;
  catchingUp: boolean;
}

const els = {
  signIn: byId('sign-in'),
  signInForm: byId<HTMLFormElement>('sign-in-form'),
  user: byId<HTMLInputElement>('sign-in-user'),
  password: byId<HTMLInputElement>('sign-in-password'),
  chat: byId('chat'),
  who: byId('who'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  header: document.querySelector<HTMLElement>('header.bar') as HTMLElement,
  sidebar: byId('sidebar'),
  backdrop: byId('drawer-backdrop'),
  conversation: byId('conversation'),
  toggleList: byId<HTMLButtonElement>('toggle-list'),
  list: byId('conversation-list'),
  newConversation: byId<HTMLButtonElement>('new-conversation'),
  log: byId('messages'),
  empty: byId('empty'),
  composer: byId<HTMLFormElement>('composer'),
  input: byId<HTMLTextAreaElement>('message-input'),
  problem: byId('composer-problem'),
  count: byId('composer-count'),
  announcer: byId('announcer'),
};
/** Where the focus belongs when what had it is gone: the composer, or the sign-in form. */
const home = (): HTMLElement => (els.chat.hidden ? els.user : els.input);
const errors = new ErrorBanner(home);
const drawer = new Drawer(els.sidebar, els.toggleList, els.backdrop, () => [els.header, els.conversation]);

let config: PageConfig;
let identity: Identity | null = null;
let live: LiveStream | null = null;
let router = new StreamRouter();
let conversationId: string | null = null;
let conversationsShown: { conversationId: string; title: string; updatedAt: string }[] = [];
const waiting = new Map<string, Waiting>(); // user messageId -> its turn, while its reply is awaited
const sending = new Set<string>(); // clientMessageIds whose POST has not answered yet
/** The clientMessageId of text that failed to send: sending the same text again reuses it. */
let retry: { content: string; clientMessageId: string } | null = null;
/** Which signed-in stretch of the page this is: work begun for one person is dropped for the next. */
let epoch = 0;

// -- starting ---------------------------------------------------------------------------------------
async function boot(): Promise<void> {
  try {
    config = await configure();
  } catch (error) {
    errors.show((error as Error).message);
    return;
  }
  identity = await currentIdentity();
  if (identity) await enterChat();
  else showSignIn();
}

function showSignIn(): void {
  els.chat.hidden = true;
  els.signOut.hidden = true;
  els.who.textContent = '';
  els.signIn.hidden = false;
  els.user.focus();
}

async function enterChat(): Promise<void> {
  if (!identity) return;
  const mine = ++epoch;
  els.signIn.hidden = true;
  els.chat.hidden = false;
  els.signOut.hidden = false;
  els.who.textContent = identity.username;
  // The composer has the focus the moment it shows: what the person types while the page loads
  // goes into it, and stays (nothing below writes the box).
  els.input.focus();
  live = new LiveStream(config.web.eventsNamespace, identity.sub, {
    onEvent,
    onReconnected: () => catchUpAll(),
    onProblem: (message) => errors.show(message),
  });
  await Promise.all([refreshConversations(), openConversation(fromLocation() ?? newConversationId())]);
  if (mine === epoch && document.activeElement === document.body) els.input.focus();
}

// -- signing in and out ---------------------------------------------------------------------------
els.signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const submit = els.signInForm.querySelector('button');
  if (submit) submit.disabled = true;
  errors.dismiss();
  try {
    identity = await signInAs(els.user.value.trim(), els.password.value, config.web.signInFlow);
    els.password.value = '';
    els.password.removeAttribute('aria-invalid');
    await enterChat();
  } catch (error) {
    errors.show(signInProblem(error));
    els.password.setAttribute('aria-invalid', 'true');
    els.password.select();
  } finally {
    if (submit) submit.disabled = false;
  }
});

/** Forget everything of the signed-in person on this page and show the sign-in form. */
async function leaveChat(): Promise<void> {
  epoch += 1; // whatever is still on its way for this person is dropped when it comes
  const closing = live?.close();
  live = null;
  router = new StreamRouter();
  waiting.clear();
  sending.clear();
  identity = null;
  conversationId = null;
  conversationsShown = [];
  retry = null;
  els.input.value = '';
  showLength();
  els.log.replaceChildren();
  els.list.replaceChildren();
  els.announcer.textContent = '';
  els.empty.hidden = false;
  drawer.close(null);
  history.replaceState(null, '', location.pathname + location.search); // the URL names no conversation of theirs
  showSignIn();
  await closing;
}

els.signOut.addEventListener('click', async () => {
  errors.dismiss();
  await signOutNow();
  await leaveChat();
});

// -- conversations ----------------------------------------------------------------------------------
function newConversationId(): string {
  return `c-${crypto.randomUUID()}`;
}

function fromLocation(): string | null {
  const match = /^#\/c\/([A-Za-z0-9-]{1,50})$/.exec(location.hash);
  return match ? match[1] : null;
}

async function refreshConversations(): Promise<void> {
  const mine = epoch;
  try {
    const listed = await api.conversations();
    if (mine !== epoch) return;
    conversationsShown = listed;
    renderConversations(els.list, conversationsShown, conversationId);
  } catch (error) {
    if (mine === epoch) problem(error);
  }
}

/** Put the open conversation at the top of the list (it just got a message). */
function touchConversation(id: string, title: string): void {
  const known = conversationsShown.find((c) => c.conversationId === id);
  conversationsShown = [
    known ?? { conversationId: id, title, updatedAt: new Date().toISOString() },
    ...conversationsShown.filter((c) => c.conversationId !== id),
  ];
  renderConversations(els.list, conversationsShown, conversationId);
}

async function openConversation(id: string): Promise<void> {
  conversationId = id;
  if (location.hash !== `#/c/${id}`) history.replaceState(null, '', `#/c/${id}`);
  for (const [messageId, entry] of waiting) {
    if (entry.conversationId !== id) {
      waiting.delete(messageId);
      router.close(messageId);
    }
  }
  els.log.replaceChildren();
  els.empty.hidden = false;
  renderConversations(els.list, conversationsShown, id);
  // Chosen in the drawer: it closes and the person goes on in the composer.
  if (drawer.isOpen) drawer.close(els.input);
  const mine = epoch;
  let items: HistoryItem[];
  try {
    items = await api.history(id);
  } catch (error) {
    if (mine === epoch) problem(error);
    return;
  }
  if (mine !== epoch || conversationId !== id) return; // signed out, or another conversation opened meanwhile
  showHistory(id, items);
}

/** The conversation's history, put before whatever was sent here while it loaded (a person who
 * types at once does not wait for it); a message already on the page is not shown twice. */
function showHistory(id: string, items: HistoryItem[]): void {
  const replies = new Map<string, BrainReply>();
  for (const item of items) if (item.role === 'brain') replies.set(item.inReplyTo, item);
  const shown = new Set([...els.log.querySelectorAll<HTMLElement>('[data-message-id]')].map((li) => li.dataset.messageId));
  const earlier = document.createDocumentFragment();
  for (const item of items) {
    if (item.role !== 'user' || waiting.has(item.messageId) || shown.has(item.messageId)) continue;
    if (item.clientMessageId && sending.has(item.clientMessageId)) continue; // its POST is still answering
    const reply = replies.get(item.messageId);
    const turn = new Turn(earlier, item.content, true);
    turn.messageId = item.messageId;
    if (reply) {
      turn.finish(reply, reply.timings.ttftMs ?? null, reply.timings.totalMs ?? null);
    } else {
      // Still being answered (sent before a reload, or from elsewhere): follow it.
      follow(id, item.messageId, turn, null);
      void catchUp(item.messageId);
    }
  }
  els.log.prepend(earlier);
  els.empty.hidden = els.log.childElementCount > 0;
  els.log.lastElementChild?.scrollIntoView({ block: 'end' });
}

els.newConversation.addEventListener('click', () => {
  void openConversation(newConversationId());
  els.input.focus();
});

window.addEventListener('hashchange', () => {
  const id = fromLocation();
  if (identity && id && id !== conversationId) void openConversation(id);
});

// -- sending ----------------------------------------------------------------------------------------
els.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    els.composer.requestSubmit();
  }
});

/** The counter near the limit, and the refusal while over it (cleared as soon as it fits). */
function showLength(): ReturnType<typeof measure> {
  const length = measure(els.input.value, config?.web.maxContentChars ?? 4000);
  els.count.hidden = !length.near;
  els.count.textContent = length.near ? counterText(length) : '';
  els.count.classList.toggle('over', length.over);
  if (length.over) els.input.setAttribute('aria-invalid', 'true');
  else els.input.removeAttribute('aria-invalid');
  if (!length.over && !els.problem.hidden) {
    els.problem.hidden = true;
    els.problem.textContent = '';
  }
  return length;
}
els.input.addEventListener('input', () => showLength());

els.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const startedAt = performance.now();
  const content = els.input.value;
  if (!content.trim() || !identity || !conversationId) return;
  const length = showLength();
  if (length.over) {
    // Refused here, whole: the box keeps every character and says by how much it is over.
    els.problem.textContent = tooLongText(length);
    els.problem.hidden = false;
    els.input.focus();
    return;
  }
  // At once, before any request: the user's bubble and the thinking indicator.
  const turn = new Turn(els.log, content, true);
  els.empty.hidden = true;
  turn.brain.scrollIntoView({ block: 'end' });
  els.input.value = '';
  showLength();
  const clientMessageId = retry?.content === content ? retry.clientMessageId : crypto.randomUUID();
  retry = null;
  void send(conversationId, content, clientMessageId, turn, startedAt);
});

async function send(conv: string, content: string, clientMessageId: string, turn: Turn, startedAt: number) {
  const mine = epoch;
  sending.add(clientMessageId);
  try {
    await live?.ready; // subscribed before the message exists, so no chunk is missed
    const posted = await api.postMessage(conv, content, clientMessageId);
    if (mine !== epoch) return; // signed out meanwhile: nothing of it is shown to the next person
    turn.messageId = posted.messageId;
    touchConversation(conv, content.trim().slice(0, 80));
    const stream = follow(conv, posted.messageId, turn, startedAt);
    render(stream); // events may have come before the POST's answer
  } catch (error) {
    if (mine !== epoch) return;
    turn.failed();
    // The text is never lost: back into the input (before anything typed since).
    const typed = els.input.value;
    els.input.value = typed ? `${content}\n${typed}` : content;
    showLength();
    retry = { content, clientMessageId };
    problem(error);
    els.input.focus();
  } finally {
    sending.delete(clientMessageId);
  }
}

/** Wait for the reply to `messageId`: its stream, bound to its turn on the page. */
function follow(conv: string, messageId: string, turn: Turn, startedAt: number | null): ReplyStream {
  const now = performance.now();
  waiting.set(messageId, {
    turn,
    conversationId: conv,
    startedAt,
    firstWordsAt: null,
    grewAt: now,
    progressAt: now,
    gapSince: null,
    catchingUp: false,
  });
  return router.open(messageId);
}

// -- the stream ---------------------------------------------------------------------------------------
function onEvent(event: StreamEvent): void {
  const stream = router.route(event);
  if (stream) render(stream);
}

function render(stream: ReplyStream): void {
  const entry = waiting.get(stream.messageId);
  if (!entry) return;
  const now = performance.now();
  entry.progressAt = now;
  entry.gapSince = stream.hasGap ? (entry.gapSince ?? now) : null;
  if (stream.text && entry.firstWordsAt === null) entry.firstWordsAt = now;
  if (!stream.final) {
    followingTheEnd(els.log, () => {
      if (entry.turn.showText(stream.text)) entry.grewAt = now;
    });
    return;
  }
  const reply = stream.reply as BrainReply;
  const since = (t: number | null) => (entry.startedAt === null || t === null ? null : t - entry.startedAt);
  followingTheEnd(els.log, () => {
    if (entry.startedAt === null) {
      entry.turn.finish(reply, reply.timings.ttftMs ?? null, reply.timings.totalMs ?? null);
    } else {
      entry.turn.finish(reply, since(entry.firstWordsAt ?? now), since(now));
    }
  });
  waiting.delete(stream.messageId);
  router.close(stream.messageId);
  // Screen readers hear the reply once, whole, when it is final (not each chunk as it streams).
  if (entry.conversationId === conversationId) els.announcer.textContent = `The brain said: ${reply.content}`;
}

/** Ask the API for what the channel has not brought (after `seq`), and for the reply once done. */
async function catchUp(messageId: string): Promise<void> {
  const entry = waiting.get(messageId);
  const stream = router.get(messageId);
  if (!entry || !stream || entry.catchingUp) return;
  entry.catchingUp = true;
  const mine = epoch;
  try {
    const page = await api.chunksAfter(entry.conversationId, messageId, stream.lastSeq);
    router.catchUp(messageId, page.chunks);
    if (page.done && !stream.final) {
      const reply = await api.replyTo(entry.conversationId, messageId);
      if (reply) stream.addReply(reply);
    }
    if (mine !== epoch) return;
    entry.progressAt = performance.now();
    render(stream);
  } catch (error) {
    if (mine === epoch && !(error instanceof ApiFailure && error.status === undefined)) problem(error);
  } finally {
    entry.catchingUp = false;
  }
}

function catchUpAll(): void {
  for (const messageId of waiting.keys()) void catchUp(messageId);
}

// A watchdog: any reply that stalls or has a hole is caught up; nothing is waited for forever.
setInterval(() => {
  const now = performance.now();
  for (const [messageId, entry] of waiting) {
    if (now - entry.progressAt > STALL_MS || (entry.gapSince !== null && now - entry.gapSince > GAP_MS)) {
      void catchUp(messageId);
    }
    if (entry.firstWordsAt !== null && now - entry.grewAt > QUIET_MS) entry.turn.showStillThinking();
  }
}, 500);

// -- errors -------------------------------------------------------------------------------------------
function problem(error: unknown): void {
  if (error instanceof SignedOut) {
    errors.show(error.message);
    void leaveChat();
    return;
  }
  errors.show((error as Error)?.message ?? String(error));
}

void boot();
