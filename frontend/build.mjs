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
};
mkdirSync(join(out, "swagger-ui"), { recursive: true });
for (const [source, target] of Object.entries(files)) {
  copyFileSync(join(modules, source), join(out, target));
  console.log(`vendor/${target}`);
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
