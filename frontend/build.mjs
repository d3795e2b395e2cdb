// Copies the built CSS and JS that kartlegg serves into kartlegg/static/vendor (no CDN at run time).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "kartlegg", "static", "vendor");
mkdirSync(out, { recursive: true });

const files = {
  "@digdir/designsystemet-css/dist/src/index.css": "designsystemet.css",
  "@digdir/designsystemet-css/dist/theme/designsystemet.css": "designsystemet-theme.css",
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
};
for (const [source, target] of Object.entries(files)) {
  copyFileSync(join(here, "node_modules", source), join(out, target));
  console.log(`vendor/${target}`);
}
