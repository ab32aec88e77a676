import { Hono } from "hono";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CodedError } from "../../shared/errors.ts";

/**
 * The API reference page: Swagger UI (npm's swagger-ui-dist) over /openapi.json, every file served
 * by the API itself so the page works offline and names no other host. createRequire resolves the
 * package the same way under Bun, Node and Deno (Deno reads node_modules when package.json is there).
 */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

/** The only files served (never a path from the request): name → content type. */
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

// Relative URLs: the page also works when a proxy serves the API under a path prefix.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ssomigrate API reference</title>
<link rel="stylesheet" href="reference/swagger-ui.css">
<link rel="icon" type="image/png" href="reference/favicon-32x32.png">
</head>
<body>
<main id="reference"></main>
<script src="reference/swagger-ui-bundle.js"></script>
<script src="reference/start.js"></script>
</body>
</html>
`;

// A file of its own, not an inline script, so the policy can allow scripts from this origin only.
// validatorUrl null: Swagger UI would otherwise send the document to an outside validator.
const START = `window.ui = SwaggerUIBundle({ url: "openapi.json", dom_id: "#reference", validatorUrl: null, deepLinking: true, tryItOutEnabled: false });\n`;

/** Nothing from another origin; Swagger UI sets inline styles, and its icons are data: URLs. */
export const REFERENCE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const headers = (type: string) => ({ "content-type": type, "content-security-policy": REFERENCE_CSP, "x-content-type-options": "nosniff", "cache-control": "public, max-age=3600" });

/** `GET /reference` and its files; mount at the API's root. */
export function referenceRoutes() {
  const app = new Hono();
  const files = new Map<string, Promise<Uint8Array>>();
  app.get("/reference", (c) => c.body(PAGE, 200, headers("text/html; charset=utf-8")));
  app.get("/reference/:asset", async (c) => {
    const asset = c.req.param("asset");
    if (asset === "start.js") return c.body(START, 200, headers("text/javascript; charset=utf-8"));
    const type = Object.hasOwn(ASSETS, asset) ? ASSETS[asset] : undefined;
    if (!type) throw new CodedError("not_found", `no reference file ${JSON.stringify(asset.slice(0, 64))}`);
    if (!files.has(asset)) files.set(asset, readFile(join(SWAGGER_UI_DIR, asset)).then((b) => new Uint8Array(b)));
    return c.body((await files.get(asset)!) as Uint8Array<ArrayBuffer>, 200, headers(type));
  });
  return app;
}
