/**
 * The page's DOM: building bubbles, the inner life, the conversation list and the error banner.
 * Plain DOM calls (a page this size needs no framework, and a framework would weigh more than the
 * page); text always goes in through `textContent`, never as HTML. The `data-testid`s are part of
 * the page's contract (issue 11): tests and scripts find things by them.
 */

import type { BrainReply, ConversationSummary, Emotion } from './contracts';

type Attrs = Record<string, string | boolean | undefined>;

export function h(tag: string, attrs: Attrs = {}, ...children: (Node | string | null)[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Make `change`, and keep the log scrolled to its end if it was there (a reader who scrolled up stays put). */
export function followingTheEnd(log: HTMLElement, change: () => void): void {
  const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 48;
  change();
  if (atEnd) log.scrollTop = log.scrollHeight;
}

// -- numbers --------------------------------------------------------------------------------------
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const signed = (n: number): string => (n > 0 ? `+${n.toFixed(1)}` : n.toFixed(1));

// -- one exchange: the user's bubble and the brain's ----------------------------------------------
export class Turn {
  readonly user: HTMLElement;
  readonly brain: HTMLElement;
  private readonly text: HTMLElement;
  private thinking: HTMLElement | null;

  constructor(log: HTMLElement, content: string, withReply: boolean) {
    this.user = h('li', { class: 'msg user', 'data-testid': 'message-user' }, h('p', { class: 'text' }, content));
    this.text = h('p', { class: 'text' });
    this.thinking = withReply
      ? h('span', { class: 'thinking', 'data-testid': 'thinking', role: 'status' }, 'thinking', h('span', { class: 'dots', 'aria-hidden': 'true' }))
      : null;
    this.brain = h('li', { class: 'msg brain', 'data-testid': 'message-brain', 'aria-busy': withReply ? 'true' : false }, this.thinking, this.text);
    log.append(this.user);
    if (withReply) log.append(this.brain);
  }

  /** The user message's id, once the API has given it. */
  set messageId(id: string) {
    this.user.dataset.messageId = id;
    this.brain.dataset.inReplyTo = id;
  }

  /** The draft so far (the thinking indicator makes way for the first words). */
  showText(text: string): void {
    if (!text) return;
    if (this.thinking) {
      this.thinking.remove();
      this.thinking = null;
    }
    this.text.textContent = text;
  }

  /** The final reply: its text, status, inner life and timing line. */
  finish(reply: BrainReply, firstWordsMs: number | null, doneMs: number | null): void {
    this.showText(reply.content || '…');
    this.brain.setAttribute('aria-busy', 'false');
    const fallback = reply.status !== 'complete';
    this.brain.classList.toggle('fallback', fallback);
    const status = fallback ? `${reply.status} reply: the brain could not answer fully` : reply.status;
    const degraded = reply.degraded.length ? ` · degraded: ${reply.degraded.join(', ')}` : '';
    this.brain.append(
      h('p', { class: 'status', 'data-testid': 'reply-status', 'data-status': reply.status }, status + degraded),
      innerLife(reply),
    );
    const timing = timingLine(firstWordsMs, doneMs);
    if (timing) this.brain.append(h('p', { class: 'timing', 'data-testid': 'timing' }, timing));
  }

  /** The send failed: no reply will come; the user's text goes back into the input. */
  failed(): void {
    this.brain.remove();
    this.user.classList.add('failed');
    this.user.append(h('p', { class: 'note' }, 'not sent'));
  }
}

export function timingLine(firstWordsMs: number | null, doneMs: number | null): string {
  const parts = [];
  if (firstWordsMs !== null) parts.push(`first words after ${duration(firstWordsMs)}`);
  if (doneMs !== null) parts.push(`done after ${duration(doneMs)}`);
  return parts.join(' · ');
}

// -- the inner life ---------------------------------------------------------------------------------
function innerLife(reply: BrainReply): HTMLElement {
  const rows: HTMLElement[] = [];
  const row = (label: string, ...content: (Node | string)[]) =>
    rows.push(h('div', { class: 'row' }, h('dt', {}, label), h('dd', {}, ...content)));
  if (reply.emotion) row('emotion', emotionView(reply.emotion));
  if (reply.sensations.length) row('sensations', list(reply.sensations));
  if (reply.thoughts.length) row('thoughts', list(reply.thoughts));
  if (reply.memories) row('memories', reply.memories);
  if (reply.selfReflection) row('reflection', reply.selfReflection);
  return h('dl', { class: 'inner-life', 'data-testid': 'inner-life', 'aria-label': 'The brain’s inner life' }, ...rows);
}

function list(items: string[]): HTMLElement {
  return h('ul', {}, ...items.map((item) => h('li', {}, item)));
}

/** The label, and valence (x, −1..1) and arousal (y, 0..1) as a dot in a small square. */
function emotionView(emotion: Emotion): HTMLElement {
  const valence = Math.max(-1, Math.min(1, emotion.valence));
  const arousal = Math.max(0, Math.min(1, emotion.arousal));
  const described = `valence ${signed(valence)}, arousal ${arousal.toFixed(1)}`;
  const plot = h('span', { class: 'affect', role: 'img', 'aria-label': described, title: described });
  const dot = h('span', { class: 'dot' });
  dot.style.left = `${((valence + 1) / 2) * 100}%`;
  dot.style.bottom = `${arousal * 100}%`;
  plot.append(dot);
  return h('span', { class: 'emotion' }, plot, h('strong', {}, emotion.label), h('span', { class: 'muted' }, ` ${described}`));
}

// -- the conversation list -------------------------------------------------------------------------
export function renderConversations(list: HTMLElement, items: ConversationSummary[], current: string | null): void {
  list.replaceChildren(
    ...items.map((item) =>
      h(
        'li',
        { 'data-conversation-id': item.conversationId },
        h(
          'a',
          { href: `#/c/${encodeURIComponent(item.conversationId)}`, 'aria-current': item.conversationId === current ? 'page' : undefined },
          item.title || 'New conversation',
        ),
      ),
    ),
  );
}

// -- errors ----------------------------------------------------------------------------------------
export class ErrorBanner {
  private readonly banner = byId('error');
  private readonly text = byId('error-text');

  constructor() {
    byId('error-dismiss').addEventListener('click', () => this.dismiss());
  }

  show(message: string): void {
    this.text.textContent = message;
    this.banner.hidden = false;
  }

  dismiss(): void {
    this.banner.hidden = true;
    this.text.textContent = '';
  }
}
