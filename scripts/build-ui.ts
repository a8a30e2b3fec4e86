/**
 * Bundles the GraphiQL page (ui/) with esbuild into dist-ui/, offline, from node_modules only:
 *   dist-ui/index.html          the page served on GET /graphql (src/ui/graphiql.ts)
 *   dist-ui/manifest.json       what was built, with sizes
 *   dist-ui/assets/*            content-hashed JS, CSS and Monaco workers, served under /graphiql/,
 *                               each with a precompressed name.gz beside it
 * Run: npm run build:ui (also run by prestart and pretest). Skips the 2–3 s bundle when the previous
 * build's inputs are unchanged (see {@link staleReason}); `-- --force` bundles anyway. Builds into a
 * temporary folder and swaps it in, so a running server never sees a half-written build. Prints
 * only to stderr: `npm start` keeps stdout for the server's JSON log lines.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import * as esbuild from 'esbuild';

const gzip = promisify(gzipCb);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST_UI = path.join(ROOT, 'dist-ui');

/** Public URL prefix of dist-ui/assets (src/ui/graphiql.ts serves it). */
const ASSETS_URL = '/graphiql/';

const WORKERS = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
} as const;

const COMMON: esbuild.BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  minify: true,
  legalComments: 'none',
  target: ['chrome109', 'firefox115', 'safari16'],
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  metafile: true,
  write: true,
};

/**
 * graphiql/style.css already contains Monaco's CSS (with its codicon font inlined); Monaco's own
 * `import './x.css'` statements in its ESM build would add a second copy, so they load as nothing.
 */
const skipMonacoCss: esbuild.Plugin = {
  name: 'skip-monaco-css',
  setup(build) {
    build.onLoad({ filter: /[\\/]monaco-editor[\\/].*\.css$/ }, () => ({ contents: '', loader: 'js' }));
  },
};

/**
 * What decides the bundle's bytes, recorded in manifest.json so the next run can compare: this
 * script (options, plugins), esbuild's version, the installed packages (npm's lockfiles; every
 * bundled node_modules file comes from them), and the project's own bundled files as esbuild
 * reported them (ui/ and whatever it imports from src/). A new import shows up as a change to an
 * already recorded file, so the list never goes stale unnoticed. Hashing these few files takes
 * milliseconds, against seconds for bundling.
 */
interface BuildInputs {
  digest: string;
  /** Project files in the bundle, relative to the repository root. */
  sources: string[];
}

const LOCKFILES = ['package-lock.json', 'node_modules/.package-lock.json'];

async function inputsDigest(sources: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`esbuild ${esbuild.version}\0`);
  for (const file of [path.relative(ROOT, fileURLToPath(import.meta.url)), ...LOCKFILES, ...sources]) {
    const bytes = await readFile(path.resolve(ROOT, file)).catch(() => null);
    // A missing file hashes differently from an empty one, so deleting an input counts as a change.
    hash.update(`${file}\0${bytes ? createHash('sha256').update(bytes).digest('hex') : 'missing'}\0`);
  }
  return hash.digest('hex');
}

/** The project's own files among esbuild's inputs (not node_modules, not virtual modules). */
function projectSources(...metafiles: (esbuild.Metafile | undefined)[]): string[] {
  const files = new Set<string>();
  for (const metafile of metafiles) {
    for (const input of Object.keys(metafile?.inputs ?? {})) {
      if (input.includes(':') || input.split(/[\\/]/).includes('node_modules')) continue;
      files.add(path.relative(ROOT, path.resolve(ROOT, input)));
    }
  }
  return [...files].sort();
}

async function anyModifiedSince(files: readonly string[], since: number): Promise<boolean> {
  const times = await Promise.all(
    files.map((f) =>
      stat(path.resolve(ROOT, f)).then(
        (s) => s.mtimeMs,
        () => Infinity,
      ),
    ),
  );
  return times.some((t) => t >= since);
}

interface Manifest {
  inputs?: BuildInputs;
  files?: { file: string }[];
}

/** Why `outDir` needs a build, or null when it holds a complete build of the current inputs. */
export async function staleReason(outDir: string = DIST_UI): Promise<string | null> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(outDir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    return 'not built yet';
  }
  if (!manifest.inputs || !manifest.files) return 'built by an older build script';
  if ((await inputsDigest(manifest.inputs.sources)) !== manifest.inputs.digest) return 'inputs changed';
  const outputs = ['index.html', ...manifest.files.flatMap((f) => [`assets/${f.file}`, `assets/${f.file}.gz`])];
  for (const file of outputs) {
    if (
      !(await access(path.join(outDir, file)).then(
        () => true,
        () => false,
      ))
    )
      return `${file} is missing`;
  }
  return null;
}

/** Builds `outDir` unless it already holds a build of the current inputs; null when it did not build. */
export async function ensureUiBuilt(outDir: string = DIST_UI): Promise<(BuildResult & { reason: string }) | null> {
  const reason = await staleReason(outDir);
  return reason === null ? null : { ...(await buildUi(outDir)), reason };
}

export interface BuildResult {
  outDir: string;
  files: { file: string; bytes: number; gzipBytes: number }[];
  totalBytes: number;
  totalGzipBytes: number;
  ms: number;
}

/** Builds dist-ui/ (or `outDir`). */
export async function buildUi(outDir: string = DIST_UI): Promise<BuildResult> {
  const started = performance.now();
  const startedAt = Date.now();
  const tmp = `${outDir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  const assets = path.join(tmp, 'assets');
  await mkdir(assets, { recursive: true });
  try {
    const workers = await esbuild.build({
      ...COMMON,
      entryPoints: Object.fromEntries(Object.entries(WORKERS).map(([label, entry]) => [`${label}.worker`, entry])),
      format: 'iife',
      outdir: assets,
      entryNames: '[name]-[hash]',
    });
    const workerFiles = Object.fromEntries(
      Object.keys(WORKERS).map((label) => [label, outputFor(workers.metafile, assets, `${label}.worker`, '.js')]),
    ) as Record<keyof typeof WORKERS, string>;

    const main = await esbuild.build({
      ...COMMON,
      entryPoints: { main: 'ui/main.tsx' },
      format: 'esm',
      jsx: 'automatic',
      outdir: assets,
      entryNames: '[name]-[hash]',
      assetNames: '[name]-[hash]',
      loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
      define: { ...COMMON.define, __GRAPHIQL_WORKERS__: JSON.stringify(workerFiles) },
      plugins: [skipMonacoCss],
    });
    const mainJs = outputFor(main.metafile, assets, 'main', '.js');
    const mainCss = outputFor(main.metafile, assets, 'main', '.css');
    const sources = projectSources(workers.metafile, main.metafile);
    // The digest is taken after bundling; a source saved meanwhile may not be in the bundle, so
    // record no digest then and the next run builds again.
    const editedMeanwhile = await anyModifiedSince(sources, startedAt);
    const inputs: BuildInputs = { digest: editedMeanwhile ? '' : await inputsDigest(sources), sources };

    await writeFile(path.join(tmp, 'index.html'), page(ASSETS_URL + mainJs, ASSETS_URL + mainCss));
    const files = await Promise.all(
      (await readdir(assets)).sort().map(async (file) => {
        const bytes = await readFile(path.join(assets, file));
        const packed = await gzip(bytes, { level: 9 });
        await writeFile(path.join(assets, `${file}.gz`), packed);
        return { file, bytes: bytes.length, gzipBytes: packed.length };
      }),
    );
    await writeFile(
      path.join(tmp, 'manifest.json'),
      `${JSON.stringify({ builtAt: new Date().toISOString(), main: { js: mainJs, css: mainCss }, workers: workerFiles, files, inputs }, null, 2)}\n`,
    );

    await rm(outDir, { recursive: true, force: true });
    await rename(tmp, outDir);
    return {
      outDir,
      files,
      totalBytes: files.reduce((n, f) => n + f.bytes, 0),
      totalGzipBytes: files.reduce((n, f) => n + f.gzipBytes, 0),
      ms: Math.round(performance.now() - started),
    };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** File name (relative to `assets`) of the output built from entry point `name` with extension `ext`. */
function outputFor(metafile: esbuild.Metafile | undefined, assets: string, name: string, ext: string): string {
  for (const out of Object.keys(metafile?.outputs ?? {})) {
    const base = path.basename(out);
    if (path.resolve(ROOT, path.dirname(out)) === assets && base.startsWith(`${name}-`) && base.endsWith(ext))
      return base;
  }
  throw new Error(`esbuild produced no ${name}*${ext}`);
}

/** The page: no inline script or style, so the server's CSP can be `script-src 'self'`. */
function page(js: string, css: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>jobs-subgraph · GraphiQL</title>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${css}">
    <script type="module" src="${js}"></script>
  </head>
  <body>
    <div id="graphiql"><noscript>GraphiQL needs JavaScript. GraphQL itself works without it: POST to this URL.</noscript></div>
  </body>
</html>
`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  (force ? buildUi().then((r) => ({ ...r, reason: '--force' })) : ensureUiBuilt()).then(
    (r) => {
      // Silent when up to date; a rebuild says why, since it makes `npm start` seconds slower.
      if (!r) return;
      const mb = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
      process.stderr.write(
        `build:ui: built ${path.relative(process.cwd(), r.outDir) || '.'}/ (${r.reason}): ${mb(r.totalBytes)} (gzip ${mb(r.totalGzipBytes)}) in ${r.ms} ms; sizes in manifest.json\n`,
      );
    },
    (err: unknown) => {
      process.stderr.write(`build:ui failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
