// Copies the built CSS, fonts and JS that kartlegg serves into kartlegg/static/vendor (no CDN at run time).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const out = join(here, "..", "kartlegg", "static", "vendor");
mkdirSync(join(out, "fonts"), { recursive: true });

const files = {
  "@digdir/designsystemet-css/dist/src/index.css": "designsystemet.css",
  "@digdir/designsystemet-css/dist/theme/designsystemet.css": "designsystemet-theme.css",
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
  // Swagger UI for /api/v1/docs, served from our own static files (the API's docs work offline).
  "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
  "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
  // Vega-Lite charts: the page shows the same spec that the server renders to SVG (kartlegg/lib/vega.py).
  "vega/build/vega.min.js": "vega/vega.min.js",
  "vega-lite/build/vega-lite.min.js": "vega/vega-lite.min.js",
  "vega-embed/build/vega-embed.min.js": "vega/vega-embed.min.js",
};
mkdirSync(join(out, "swagger-ui"), { recursive: true });
mkdirSync(join(out, "vega"), { recursive: true });
for (const [source, target] of Object.entries(files)) {
  copyFileSync(join(modules, source), join(out, target));
  console.log(`vendor/${target}`);
}

// vega-interpreter evaluates Vega expressions without eval()/Function(), so the Content-Security-Policy needs no
// 'unsafe-eval'. npm ships it as an ES module importing three names from vega-util; the vega bundle exports the same
// names on its global, so the module becomes a classic script that sets window.vegaInterpreter.
{
  const source = readFileSync(join(modules, "vega-interpreter/build/vega-interpreter.js"), "utf8");
  const imports = "import { ascending, isString, DisallowedObjectProperties } from 'vega-util';";
  const exports = "export { expression as expressionInterpreter };";
  if (!source.includes(imports) || !source.includes(exports)) {
    throw new Error("vega-interpreter's imports or exports changed: update frontend/build.mjs");
  }
  const script = source
    .replace(imports, "const { ascending, isString, DisallowedObjectProperties } = globalThis.vega;")
    .replace(exports, "globalThis.vegaInterpreter = { expressionInterpreter: expression };")
    .replace(/\n\/\/# sourceMappingURL=.*\n?$/, "\n");
  writeFileSync(join(out, "vega", "vega-interpreter.js"), `(function () {\n${script}})();\n`);
  console.log("vendor/vega/vega-interpreter.js");
}

// Inter, the theme's typeface: only the Latin subsets (Norwegian and the Sámi letters), in the weights we use.
const subsets = ["latin", "latin-ext"];
const rules = [];
for (const weight of [400, 500, 600, 700]) {
  const css = readFileSync(join(modules, "@fontsource/inter", `${weight}.css`), "utf8");
  for (const block of css.split("/* ").slice(1)) {
    const name = block.slice(0, block.indexOf(" */"));
    if (!subsets.some((subset) => name === `inter-${subset}-${weight}-normal`)) continue;
    copyFileSync(join(modules, "@fontsource/inter/files", `${name}.woff2`), join(out, "fonts", `${name}.woff2`));
    const rule = block.slice(block.indexOf("@font-face")).replace(/src: [^;]*;/, `src: url(fonts/${name}.woff2) format('woff2');`);
    rules.push(rule.trim());
  }
}
writeFileSync(join(out, "inter.css"), rules.join("\n") + "\n");
console.log(`vendor/inter.css (${rules.length} faces)`);
