import { useEffect, useState } from 'preact/hooks';

/** The dashboard lives under /ui/; its pages are paths below it, handled here (the server answers index.html). */
export const BASE = '/ui/';

export function currentPage(): string {
  const path = window.location.pathname;
  return path.startsWith(BASE) ? path.slice(BASE.length).replace(/\/+$/, '') : '';
}

/**
 * Goes to `page` (a path below /ui/, with its query if any). The address changes as a link would change it, and
 * everything that follows the address hears it as a popstate: so a link to the bare page from the same page with
 * filters in its query (the navigation's Pools while filtering pools) clears them, as a page load would.
 */
export function navigate(page: string): void {
  const target = `${BASE}${page}`;
  if (`${window.location.pathname}${window.location.search}` === target) return;
  window.history.pushState(null, '', target);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The page named by the address bar, kept in step with links, back and forward. */
export function usePage(): string {
  const [page, setPage] = useState(currentPage);
  useEffect(() => {
    const update = () => setPage(currentPage());
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  return page;
}

/** A plain link that the app follows without a reload (a modified click still opens a new tab as usual). */
export function onLinkClick(event: MouseEvent, page: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(page);
}

/**
 * The address's query string on `page` (filters, paging), kept in step with links, back and forward; `go` changes it
 * (`replace`: without a new history entry, e.g. a sort order).
 */
export function useSearch(page: string): [string, (search: string, replace?: boolean) => void] {
  const [search, setSearch] = useState(window.location.search);
  useEffect(() => {
    const update = () => setSearch(window.location.search);
    window.addEventListener('popstate', update);
    return () => window.removeEventListener('popstate', update);
  }, []);
  const go = (next: string, replace = false) => {
    const target = `${BASE}${page}${next}`;
    if (replace) window.history.replaceState(null, '', target);
    else if (`${window.location.pathname}${window.location.search}` !== target) window.history.pushState(null, '', target);
    setSearch(next);
  };
  return [search, go];
}
