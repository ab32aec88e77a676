import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { mintingAuthFromEnv } from "../../services/auth-settings.ts";
import { addRouteToken } from "../route-token.ts";
import { addToken } from "../token.ts";
import type { CommandModule } from "../context.ts";
import { CliFailure, EXIT } from "../exit-codes.ts";

// The commands that do not talk to the API: tokens, SAML tools, demo providers.

export const token: CommandModule = (program, ctx) =>
  addToken(program, { readAuth: () => mintingAuthFromEnv(ctx.settings().dataDir), out: ctx.io.out, err: ctx.io.err }, (code) => (ctx.exitCode = code));

export const routeToken: CommandModule = (program, ctx) =>
  addRouteToken(
    program,
    {
      readSecret: async () => ctx.settings().pinSecret ?? (await readFile(join(ctx.settings().dataDir, "pin.secret"), "utf8").then((s) => s.trim(), () => undefined)),
      out: ctx.io.out,
      err: ctx.io.err,
    },
    (code) => (ctx.exitCode = code),
  );

export const saml: CommandModule = (program, ctx) => {
  const group = program.command("saml").description("SAML tools: explain a message the way the router reads it, or print a sample");
  group
    .command("inspect")
    .description("explain a SAML message (raw XML, base64, DEFLATE+base64, form body or URL): type, issuer, what the router routes on; one JSON line")
    .argument("<file>", "the file, or - for standard input")
    .action(async (file: string) => {
      const { runSamlInspect } = await import("../saml-inspect.ts");
      ctx.exitCode = await runSamlInspect([file], { readFile: ctx.io.readFile, readStdin: ctx.io.readStdin, out: ctx.io.out });
    });
  group
    .command("sample")
    .description("print a sample SAMLResponse (XML, about 7 KB) to try routing with")
    .option("--issuer <entity-id>", "the IdP entity ID it names")
    .action(async (options: { issuer?: string }) => {
      const { sampleSamlResponse, SAMPLE_ISSUER } = await import("../saml-sample.ts");
      ctx.io.out(sampleSamlResponse(10 * 1024, options.issuer ?? SAMPLE_ISSUER).xml);
    });
};

const port = (flag: string) => (text: string) => {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n > 65535) throw new CliFailure(EXIT.usage, `${flag} must be a port number (0 to 65535), got ${text}`);
  return n;
};

export const demoUpstreams: CommandModule = (program, ctx) =>
  program
    .command("demo-upstreams")
    .description("run the two demo providers (they echo what they receive) until Ctrl-C")
    .option("--legacy-port <port>", "the legacy provider's port", port("--legacy-port"), 9001)
    .option("--target-port <port>", "the target provider's port", port("--target-port"), 9002)
    .option("--host <address>", "the address to listen on", "127.0.0.1")
    .action(async (options: { legacyPort: number; targetPort: number; host: string }) => {
      const { serve } = await import("../../services/runtime/serve.ts");
      const { demoUpstream } = await import("../../services/demo-upstreams/app.ts");
      const legacy = await serve({ port: options.legacyPort, hostname: options.host, fetch: demoUpstream("legacy") });
      const target = await serve({ port: options.targetPort, hostname: options.host, fetch: demoUpstream("target") });
      ctx.io.out(`demo providers: legacy http://${options.host}:${legacy.port}, target http://${options.host}:${target.port} (Ctrl-C stops them)`);
      await ctx.io.interrupted();
      await Promise.all([legacy.close(), target.close()]);
    });
