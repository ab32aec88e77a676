#!/usr/bin/env bun
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { dataDir, env } from "../services/settings.ts";
import { mintingAuthFromEnv } from "../services/auth-settings.ts";
import { runToken, TOKEN_USAGE } from "./token.ts";
import { runRouteToken } from "./route-token.ts";

const USAGE = `usage: ssomig <command>

  ${TOKEN_USAGE}
  route-token --provider ID --org ID [--ttl 15m]  a token for the X-Ssomig-Route header: force that organization's
                                                  requests to a provider, for at most 24h
                                                  (ROUTER_PIN_SECRET, else DATA_DIR/pin.secret)
  saml inspect FILE|-                             explain a SAML message: type, issuer, and why it routes where it does
  saml sample [--issuer ENTITY_ID]                print a sample SAMLResponse (XML, about 7 KB) to try routing with
  demo-upstreams [--legacy-port 9001] [--target-port 9002] [--host 127.0.0.1]
                                                  run the two demo providers (they echo what they receive)`;

const out = (line: string) => process.stdout.write(line + "\n");
const err = (line: string) => process.stderr.write(line + "\n");

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "token":
      return runToken(rest, {
        readAuth: () => mintingAuthFromEnv(dataDir()),
        out,
        err,
      });
    case "route-token":
      return runRouteToken(rest, {
        readSecret: async () => env("ROUTER_PIN_SECRET") ?? (await readFile(join(dataDir(), "pin.secret"), "utf8").then((s) => s.trim(), () => undefined)),
        out,
        err,
      });
    case "saml": {
      if (rest[0] === "sample") {
        const at = rest.indexOf("--issuer");
        if (at !== -1 && rest[at + 1] === undefined) {
          err("ssomig saml sample: --issuer needs an entity ID");
          return 2;
        }
        const { sampleSamlResponse, SAMPLE_ISSUER } = await import("./saml-sample.ts");
        out(sampleSamlResponse(10 * 1024, at === -1 ? SAMPLE_ISSUER : rest[at + 1]!).xml);
        return 0;
      }
      if (rest[0] !== "inspect") break;
      const { runSamlInspect } = await import("./saml-inspect.ts");
      return runSamlInspect(rest.slice(1), {
        readFile: (path) => readFile(path, "utf8"),
        readStdin: async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
          return Buffer.concat(chunks).toString("utf8");
        },
        out,
      });
    }
    case "demo-upstreams":
      return demoUpstreams(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      out(USAGE);
      return command === undefined ? 2 : 0;
  }
  err(`ssomig: unknown command ${argv.join(" ")}\n\n${USAGE}`);
  return 2;
}

async function demoUpstreams(args: string[]): Promise<number> {
  const ports = { "--legacy-port": 9001, "--target-port": 9002 };
  let hostname = "127.0.0.1";
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === "--host" && args[i + 1]) {
      hostname = args[i + 1]!;
      continue;
    }
    const flag = args[i] as keyof typeof ports;
    const port = Number(args[i + 1]);
    if (!(flag in ports) || !Number.isInteger(port) || port < 0 || port > 65535) {
      err(`ssomig demo-upstreams: expected --legacy-port N, --target-port N or --host ADDRESS, got ${args.slice(i, i + 2).join(" ")}`);
      return 2;
    }
    ports[flag] = port;
  }
  const { serve } = await import("../services/runtime/serve.ts");
  const { demoUpstream } = await import("../services/demo-upstreams/app.ts");
  const legacy = await serve({ port: ports["--legacy-port"], hostname, fetch: demoUpstream("legacy") });
  const target = await serve({ port: ports["--target-port"], hostname, fetch: demoUpstream("target") });
  out(`demo providers: legacy http://${hostname}:${legacy.port}, target http://${hostname}:${target.port} (Ctrl-C stops them)`);
  await new Promise<void>((resolve) => process.once("SIGINT", resolve).once("SIGTERM", resolve));
  await Promise.all([legacy.close(), target.close()]);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
