import process from "node:process";
import { providerCatalog } from "../../shared/config.ts";
import { openStore } from "../../db/open.ts";
import { authFromEnv } from "../auth-settings.ts";
import { jsonLog } from "../http/log.ts";
import { serve } from "../runtime/serve.ts";
import { dataDir, env, loadConfig, portFrom } from "../settings.ts";
import { createCommandsApp } from "./app.ts";
import { createTokenVerifier } from "./auth.ts";

// The command API alone (production): `npm run start:api`.
const { config } = await loadConfig();
const dir = dataDir();
const databaseUrl = env("DATABASE_URL");
const auth = await authFromEnv(dir);
const verifyToken = await createTokenVerifier(auth.options);
const store = await openStore({ dataDir: dir, applicationName: "ssomigrate-commands", ...(databaseUrl ? { databaseUrl } : {}) });
const app = createCommandsApp({ store, providers: providerCatalog(config), verifyToken, log: jsonLog });
const server = await serve({ port: portFrom("API_PORT", 8081), fetch: app.fetch });
console.log(`ssomigrate command API on http://localhost:${server.port} (${databaseUrl ? "PostgreSQL" : `PGlite in ${dir}/pglite`})`);
if (auth.adminTokenFile) {
  console.log(`Development admin token (30 days) in ${auth.adminTokenFile}; try:
  TOKEN=$(cat ${auth.adminTokenFile})
  curl -s -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"id":"acme","name":"Acme","identifiers":[{"kind":"domain","value":"acme.com"}]}' http://localhost:${server.port}/v1/organizations`);
}

async function stop() {
  await server.close();
  await store.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
