// Installed in the web chat by brain_local/clients/web_probe.py before a send: records the click and each
// change of the message log on the page's own clock (performance.now()), and exposes them as
// window.__brainProbe.result(). Evaluated as a function by Playwright.
() => {
  const log = document.getElementById('messages');
  const users = log.querySelectorAll('[data-testid=message-user]').length;
  const old = new Set(log.querySelectorAll('[data-testid=message-brain]'));
  const marks = {};
  const texts = [];
  let brain = null;
  const look = () => {
    const now = performance.now();
    if (marks.user === undefined && log.querySelectorAll('[data-testid=message-user]').length > users) marks.user = now;
    brain = brain || [...log.querySelectorAll('[data-testid=message-brain]')].find((b) => !old.has(b)) || null;
    if (!brain) return;
    if (marks.thinking === undefined && brain.querySelector('[data-testid=thinking]')) marks.thinking = now;
    const done = brain.querySelector('[data-testid=inner-life]');
    const text = brain.querySelector('.text')?.textContent || '';
    if (!done && text && text !== (texts.length ? texts[texts.length - 1].text : '')) {
      if (marks.firstWords === undefined) marks.firstWords = now;
      texts.push({ t: now, text, thinking: !!brain.querySelector('[data-testid=thinking]') });
    }
    if (done && marks.innerLife === undefined) {
      marks.innerLife = now;
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(look);
  observer.observe(log, { childList: true, subtree: true, characterData: true });
  document.addEventListener('click', (event) => {
    if (event.target.closest('[data-testid=send]')) marks.click = performance.now();
  }, { capture: true, once: true });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && marks.click === undefined) marks.click = performance.now();
  }, { capture: true });
  window.__brainProbe = {
    done: () => marks.innerLife !== undefined || !!log.querySelectorAll('[data-testid=message-user]')[users]?.classList.contains('failed'),
    result: () => ({ marks, texts, final: brain ? brain.querySelector('.text').textContent : null,
                     status: brain?.querySelector('[data-testid=reply-status]')?.dataset.status ?? null }),
  };
}
