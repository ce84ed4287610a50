import { useEffect, useState } from 'preact/hooks';

/** The dashboard lives under /ui/; its pages are paths below it, handled here (the server answers index.html). */
export const BASE = '/ui/';

export function currentPage(): string {
  const path = window.location.pathname;
  return path.startsWith(BASE) ? path.slice(BASE.length).replace(/\/+$/, '') : '';
}

const listeners = new Set<() => void>();

export function navigate(page: string): void {
  const target = `${BASE}${page}`;
  if (window.location.pathname !== target) window.history.pushState(null, '', target);
  for (const listener of listeners) listener();
}

/** The page named by the address bar, kept in step with links, back and forward. */
export function usePage(): string {
  const [page, setPage] = useState(currentPage);
  useEffect(() => {
    const update = () => setPage(currentPage());
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return page;
}

/** A plain link that the app follows without a reload (a modified click still opens a new tab as usual). */
export function onLinkClick(event: MouseEvent, page: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(page);
}
