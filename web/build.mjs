// Build the web chat into web/dist/ with esbuild (pinned in package.json; no CDN, no Docker).
//
//   node build.mjs            dist/: index.html, app-<hash>.js, app-<hash>.css, their licences
//   node build.mjs --tests    build-tests/: test/*.test.ts bundled for `node --test`
//
// The script and the stylesheet get content hashes in their names, so a CDN may cache them for
// ever while index.html (and config.json, written by whoever serves the page) is always fetched
// fresh. Prints each file's size and gzip size: the page's weight is part of its job.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'src');

async function buildPage() {
  const out = join(here, 'dist');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const result = await esbuild.build({
    entryPoints: { app: join(src, 'main.ts') },
    bundle: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    legalComments: 'linked',
    entryNames: '[name]-[hash]',
    outdir: out,
    write: false,
    logLevel: 'warning',
  });
  const files = {};
  for (const file of result.outputFiles) {
    writeFileSync(file.path, file.contents);
    files[file.path.slice(out.length + 1)] = file.contents;
  }
  const script = Object.keys(files).find((name) => /^app-\w+\.js$/.test(name));
  const css = readFileSync(join(src, 'app.css'));
  const style = `app-${createHash('sha256').update(css).digest('hex').slice(0, 8).toUpperCase()}.css`;
  writeFileSync(join(out, style), css);
  files[style] = css;
  const html = readFileSync(join(src, 'index.html'), 'utf8')
    .replace('href="app.css"', `href="${style}"`)
    .replace('src="app.js"', `src="${script}"`);
  if (!html.includes(script) || !html.includes(style)) throw new Error('index.html does not name app.js and app.css');
  writeFileSync(join(out, 'index.html'), html);
  files['index.html'] = Buffer.from(html);
  report(files);
}

function report(files) {
  const rows = Object.entries(files)
    .filter(([name]) => !name.endsWith('.txt'))
    .map(([name, bytes]) => [name, bytes.length, gzipSync(bytes, { level: 9 }).length]);
  const total = rows.reduce((sum, [, raw, gz]) => [sum[0] + raw, sum[1] + gz], [0, 0]);
  for (const [name, raw, gz] of [...rows, ['the page (total)', ...total]]) {
    console.log(`  ${name.padEnd(24)} ${(raw / 1024).toFixed(1).padStart(7)} KiB   gzip ${(gz / 1024).toFixed(1).padStart(6)} KiB`);
  }
}

async function buildTests() {
  const out = join(here, 'build-tests');
  rmSync(out, { recursive: true, force: true });
  const tests = readdirSync(join(here, 'test')).filter((name) => name.endsWith('.test.ts'));
  await esbuild.build({
    entryPoints: tests.map((name) => join(here, 'test', name)),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: out,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
  });
}

if (process.argv.includes('--tests')) await buildTests();
else await buildPage();
