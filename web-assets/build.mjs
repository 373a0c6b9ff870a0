// Builds the front-end assets into core/src/exhibit/web/static/dist/ (not committed).
//
// The CSS is GOV.UK Frontend's Sass compiled with a system font stack: no GDS Transport font
// faces and no crown or crest images, which only GOV.UK may use. The JS is our own code with
// tus-js-client and GOV.UK Frontend's components bundled in by esbuild, so no page loads
// anything from another origin.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import * as sass from "sass";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const outDir = here("../core/src/exhibit/web/static/dist/");

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

// Each stylesheet: the citizen pages' and the officer app's.
for (const name of ["citizen", "officer"]) {
  const css = await sass.compileAsync(here(`src/${name}.scss`), {
    loadPaths: [here("node_modules")],
    style: "compressed",
    quietDeps: true,
    // GOV.UK Frontend 5 is written with @import; ours follows it until Frontend moves to @use.
    silenceDeprecations: ["import", "global-builtin"],
  });
  if (/GDS Transport|govuk-crest|govuk-crown|\/fonts\//.test(css.css)) {
    throw new Error(`${name}.css refers to GOV.UK's typeface or crown; check the Sass settings`);
  }
  await writeFile(`${outDir}${name}.css`, css.css);
}

await esbuild.build({
  entryPoints: { citizen: here("src/citizen.js"), officer: here("src/officer.js") },
  outdir: outDir,
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2019", "safari13"],
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
});

// ./dev compares this stamp with the sources to decide whether to build again.
await writeFile(`${outDir}.built`, `${new Date().toISOString()}\n`);
console.log(`web-assets: built into ${outDir}`);
