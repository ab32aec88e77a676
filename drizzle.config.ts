import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate` writes the next SQL migration from db/schema.ts.
export default defineConfig({ dialect: "postgresql", schema: "./db/schema.ts", out: "./db/migrations" });
