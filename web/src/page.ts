import type { Ref } from 'preact';
import type { Role } from './api.js';

/** What every page of the shell is given. */
export interface PageProps {
  readonly role: Role;
  readonly actor: string;
  /** The page's h1: focused after a navigation, as a page load would. */
  readonly headingRef: Ref<HTMLHeadingElement>;
  /** The address below the page's own segment (`pools/<id>` → `<id>`), '' for the page itself. */
  readonly subpath: string;
}
