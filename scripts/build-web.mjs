// Builds the web dashboard (web/src, TypeScript + Preact) into dist/web: index.html plus hashed assets under
// dist/web/assets. Everything the pages load is in there: nothing is fetched from elsewhere at run time.
// `npm run build` runs this after tsc; the service serves dist/web at /ui/ (src/http/plugins/web-pages.ts).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const assets = join(out, 'assets');
const started = Date.now();

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { app: 'web/src/main.tsx' },
  bundle: true,
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  format: 'esm',
  platform: 'browser',
  target: ['chrome115', 'firefox115', 'safari16'],
  tsconfig: 'web/tsconfig.json',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: false,
  metafile: true,
  legalComments: 'eof',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((file) => `/ui/assets/${basename(file)}`);
const script = outputs.find((file) => file.endsWith('.js'));
const styles = outputs.filter((file) => file.endsWith('.css'));
if (!script || styles.length !== 1) throw new Error(`expected one script and one stylesheet, got ${outputs.join(', ')}`);

// The icon, content-hashed like the bundle.
const icon = readFileSync(join(root, 'web', 'icon.svg'));
const iconName = `icon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`;
writeFileSync(join(assets, iconName), icon);

writeFileSync(
  join(out, 'index.html'),
  `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>imagewarden</title>
<link rel="icon" type="image/svg+xml" href="/ui/assets/${iconName}">
<link rel="stylesheet" href="${styles[0]}">
<script type="module" src="${script}"></script>
</head>
<body>
<div id="app"></div>
<noscript><p>The imagewarden dashboard needs JavaScript. The API itself works without it: see /docs.</p></noscript>
</body>
</html>
`,
);
console.error(`web: built ${[...outputs, `/ui/assets/${iconName}`].join(', ')} into dist/web in ${Date.now() - started} ms`);
