import type { Ref } from 'preact';

/** A page of the navigation that is not built yet: says so, and where the same data is meanwhile. */
export function Placeholder({ label, api, headingRef }: { label: string; api: string; headingRef: Ref<HTMLHeadingElement> }) {
  return (
    <section class="placeholder" aria-labelledby="page-title">
      <h1 id="page-title" ref={headingRef} tabIndex={-1}>
        {label}
      </h1>
      <p>
        <strong>Coming in the next step.</strong> This page of the dashboard is not built yet.
      </p>
      <p>
        Until it is, the same data is available from the API at <code>{api}</code> (see the <a href="/docs">API description</a>).
      </p>
    </section>
  );
}
