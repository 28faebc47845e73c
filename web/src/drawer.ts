/**
 * The conversation list as a drawer on narrow screens: a modal dialog while it is open. It takes
 * the focus when it opens (the open conversation's link, or "New conversation"), keeps Tab inside
 * it, closes on Escape, on a tap outside it (the backdrop) and on the toggle, and gives the focus
 * back to the toggle — or to wherever the page says, when a choice in it closes it. The rest of
 * the page is `inert` meanwhile. On wide screens the list is a plain sidebar and none of this
 * applies.
 */

const FOCUSABLE = 'a[href], button:not([disabled]), [tabindex]:not([tabindex="-1"])';

export class Drawer {
  private readonly narrow: MediaQueryList;

  constructor(
    private readonly panel: HTMLElement,
    private readonly toggle: HTMLButtonElement,
    private readonly backdrop: HTMLElement,
    private readonly outside: () => HTMLElement[],
    query = '(max-width: 720px)',
  ) {
    this.narrow = window.matchMedia(query);
    toggle.addEventListener('click', () => (this.isOpen ? this.close() : this.open()));
    backdrop.addEventListener('click', () => this.close());
    document.addEventListener('keydown', (event) => this.onKey(event));
    // Grown wide while open: the list is a sidebar again, nothing is modal.
    this.narrow.addEventListener('change', () => {
      if (!this.narrow.matches && this.isOpen) this.close(null);
    });
  }

  get isOpen(): boolean {
    return this.panel.classList.contains('open');
  }

  /** Whether the list is a drawer now (a narrow screen). */
  get isDrawer(): boolean {
    return this.narrow.matches;
  }

  open(): void {
    if (!this.isDrawer || this.isOpen) return;
    this.panel.classList.add('open');
    this.panel.setAttribute('role', 'dialog');
    this.panel.setAttribute('aria-modal', 'true');
    this.panel.setAttribute('aria-label', 'Conversations');
    this.toggle.setAttribute('aria-expanded', 'true');
    this.backdrop.hidden = false;
    for (const element of this.outside()) element.inert = true;
    const current = this.panel.querySelector<HTMLElement>('a[aria-current="page"]');
    (current ?? this.panel.querySelector<HTMLElement>(FOCUSABLE))?.focus();
  }

  /** Close; the focus goes to `focusTo` (the toggle unless told otherwise; null: left alone). */
  close(focusTo: HTMLElement | null = this.toggle): void {
    if (!this.isOpen) return;
    for (const element of this.outside()) element.inert = false;
    this.panel.classList.remove('open');
    this.panel.removeAttribute('role');
    this.panel.removeAttribute('aria-modal');
    this.panel.removeAttribute('aria-label');
    this.toggle.setAttribute('aria-expanded', 'false');
    this.backdrop.hidden = true;
    focusTo?.focus();
  }

  private onKey(event: KeyboardEvent): void {
    if (!this.isOpen) return;
    if (event.key === 'Escape') {
      event.preventDefault();
      this.close();
      return;
    }
    if (event.key !== 'Tab') return;
    const items = [...this.panel.querySelectorAll<HTMLElement>(FOCUSABLE)];
    if (!items.length) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }
}
