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

/** One decimal with its sign; a value that rounds to zero is "0.0", never "-0.0". */
export function signed(n: number): string {
  const text = n.toFixed(1);
  if (text === '0.0' || text === '-0.0') return '0.0';
  return n > 0 ? `+${text}` : text;
}

/** What a person reads under a reply whose status is not `complete` (nothing when it is). */
export function statusText(status: string, degraded: string[]): string {
  const parts: string[] = [];
  if (status === 'fallback') parts.push('The brain could not answer properly just now: this is a stand-in reply.');
  else if (status !== 'complete') parts.push(`This reply is incomplete (${status}).`);
  if (degraded.length) parts.push(`Missing this time: ${degraded.map((agent) => PART_OF[agent] ?? agent).join(', ')}.`);
  return parts.join(' ');
}

/** The part of the inner life each insight agent gives. */
const PART_OF: Record<string, string> = { reasoning: 'its thoughts', emotional: 'its emotion', depth: 'its memories' };

// -- one exchange: the user's bubble and the brain's ----------------------------------------------
export class Turn {
  readonly user: HTMLElement;
  readonly brain: HTMLElement;
  private readonly text: HTMLElement;
  private thinking: HTMLElement | null;
  private pending: HTMLElement | null = null;

  // Who is speaking is said to screen readers by a visually hidden "You said" / "The brain said";
  // the text is `dir="auto"` (a right-to-left message is laid out right to left). The bubble is
  // `aria-busy` while it streams; the finished reply is announced once, by the page's announcer.
  constructor(log: ParentNode, content: string, withReply: boolean) {
    this.user = h(
      'li',
      { class: 'msg user', 'data-testid': 'message-user' },
      h('span', { class: 'visually-hidden speaker' }, 'You said: '),
      h('p', { class: 'text', dir: 'auto' }, content),
    );
    this.text = h('p', { class: 'text', dir: 'auto' });
    this.thinking = withReply
      ? h('span', { class: 'thinking', 'data-testid': 'thinking' }, 'thinking', h('span', { class: 'dots', 'aria-hidden': 'true' }))
      : null;
    this.brain = h(
      'li',
      { class: 'msg brain', 'data-testid': 'message-brain', 'aria-busy': withReply ? 'true' : false },
      h('span', { class: 'visually-hidden speaker' }, 'The brain said: '),
      this.thinking,
      this.text,
    );
    log.append(this.user);
    if (withReply) log.append(this.brain);
  }

  /** The user message's id, once the API has given it. */
  set messageId(id: string) {
    this.user.dataset.messageId = id;
    this.brain.dataset.inReplyTo = id;
  }

  /** The draft so far (the thinking indicator makes way for the first words); true if it changed. */
  showText(text: string): boolean {
    if (!text || text === this.text.textContent) return false;
    if (this.thinking) {
      this.thinking.remove();
      this.thinking = null;
    }
    this.text.textContent = text;
    this.pending?.remove(); // words again: it was only a pause
    this.pending = null;
    return true;
  }

  /** No new words for a while and no reply yet: the inner life is still coming; say so. */
  showStillThinking(): void {
    if (this.pending || this.brain.getAttribute('aria-busy') !== 'true') return;
    this.pending = h('p', { class: 'pending', 'data-testid': 'inner-life-pending' }, 'still reflecting', h('span', { class: 'dots', 'aria-hidden': 'true' }));
    this.text.after(this.pending);
  }

  /** The final reply: its text, status, inner life and timing line. */
  finish(reply: BrainReply, firstWordsMs: number | null, doneMs: number | null): void {
    this.showText(reply.content || '…');
    this.pending?.remove();
    this.pending = null;
    this.brain.setAttribute('aria-busy', 'false');
    this.brain.classList.toggle('fallback', reply.status !== 'complete');
    // A complete reply says nothing about its status; any other says what went wrong, in words.
    const status = statusText(reply.status, reply.degraded);
    this.brain.append(
      h('p', { class: 'status', 'data-testid': 'reply-status', 'data-status': reply.status, hidden: !status }, status),
      innerLife(reply),
    );
    const timing = timingLine(firstWordsMs, doneMs);
    if (timing) this.brain.append(h('p', { class: 'timing', 'data-testid': 'timing' }, timing));
  }

  /** The send failed: no reply will come; the user's text goes back into the input. */
  failed(): void {
    this.brain.remove();
    this.user.classList.add('failed');
    this.user.append(h('p', { class: 'note', 'data-testid': 'not-sent' }, 'Not sent: the text is back in the box below.'));
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
/** Build the list; a link that had the focus has it again in the new list (Enter on a link must
 * not drop the focus to the page). */
export function renderConversations(list: HTMLElement, items: ConversationSummary[], current: string | null): void {
  const focused = list.contains(document.activeElement) ? document.activeElement?.closest('li')?.dataset.conversationId : undefined;
  list.replaceChildren(
    ...items.map((item) =>
      h(
        'li',
        { 'data-conversation-id': item.conversationId },
        h(
          'a',
          {
            href: `#/c/${encodeURIComponent(item.conversationId)}`,
            dir: 'auto',
            'aria-current': item.conversationId === current ? 'page' : undefined,
          },
          item.title || 'New conversation',
        ),
      ),
    ),
  );
  if (focused === undefined) return;
  const again = [...list.querySelectorAll('li')].find((li) => li.dataset.conversationId === focused);
  again?.querySelector('a')?.focus();
}

// -- errors ----------------------------------------------------------------------------------------
export class ErrorBanner {
  private readonly banner = byId('error');
  private readonly text = byId('error-text');

  /** `home`: where the focus goes when the banner's own button, which had it, is gone. */
  constructor(home: () => HTMLElement) {
    const button = byId('error-dismiss');
    button.addEventListener('click', () => {
      const hadFocus = document.activeElement === button;
      this.dismiss();
      if (hadFocus) home().focus();
    });
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
