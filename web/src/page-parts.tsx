import type { ComponentChildren, Ref } from 'preact';

/**
 * A page's title block: the h1 the shell focuses after a navigation (so a screen reader announces the new page),
 * and whatever sits beside it (as-of time, actions).
 */
export function PageHeading(props: { title: ComponentChildren; headingRef: Ref<HTMLHeadingElement>; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <h1 ref={props.headingRef} tabIndex={-1}>
        {props.title}
      </h1>
      {props.children}
    </div>
  );
}

/** A failure the user must notice, announced by screen readers as it appears; nothing when there is none. */
export function Alert(props: { children?: ComponentChildren; testId?: string }) {
  if (props.children === null || props.children === undefined || props.children === false) return null;
  return (
    <p class="error" role="alert" data-testid={props.testId}>
      {props.children}
    </p>
  );
}
