import { join } from "node:path";

/**
 * Debian's nginx as the reference reverse proxy: one worker (the router is one thread too),
 * proxy_pass with an upstream keep-alive pool, access log off.
 */
export async function startNginx(dir: string, listen: number, upstreamPort: number): Promise<{ stop(): Promise<void> } | null> {
  const binary = "/usr/sbin/nginx";
  if (!(await Bun.file(binary).exists())) return null;
  const conf = join(dir, "nginx.conf");
  await Bun.write(
    conf,
    `worker_processes 1;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "nginx-error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  upstream provider { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${listen};
    client_max_body_size 1m;
    location / {
      proxy_pass http://provider;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $proxy_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_redirect off;
      proxy_buffering off;
    }
  }
}
`,
  );
  const child = Bun.spawn([binary, "-p", dir, "-c", conf, "-g", "daemon off;"], { stdout: "ignore", stderr: "pipe" });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${listen}/`).then(() => true, () => false);
    if (up) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}
