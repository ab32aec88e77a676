import { describe, expect, test } from "bun:test";
import { clientIpOf } from "../../services/router/client-ip.ts";

const trusted = clientIpOf({ cidrs: ["10.0.0.0/8", "192.168.1.0/24", "fd00::/8"], header: "x-forwarded-for" });
const xff = (value: string) => new Headers({ "x-forwarded-for": value });

describe("the client IP, from the peer or a trusted load balancer", () => {
  test("without trusted proxies, always the peer; the header is never read", () => {
    expect(clientIpOf()("203.0.113.9", xff("6.6.6.6"))).toBe("203.0.113.9");
    expect(clientIpOf()(null, xff("6.6.6.6"))).toBeNull();
  });

  test("a peer outside the trusted blocks is the client, whatever it claims", () => {
    expect(trusted("203.0.113.9", xff("6.6.6.6"))).toBe("203.0.113.9");
    expect(trusted("11.0.0.1", xff("6.6.6.6"))).toBe("11.0.0.1");
    expect(trusted("2001:db8::1", xff("6.6.6.6"))).toBe("2001:db8::1");
  });

  test("behind trusted proxies, the rightmost address that is not one of them", () => {
    expect(trusted("10.0.0.1", xff("198.51.100.7"))).toBe("198.51.100.7");
    expect(trusted("10.0.0.1", xff("6.6.6.6, 198.51.100.7, 192.168.1.20, 10.2.3.4"))).toBe("198.51.100.7");
    expect(trusted("fd00::1", xff("2001:db8::7"))).toBe("2001:db8::7");
    expect(trusted("::ffff:10.0.0.1", xff("198.51.100.7"))).toBe("198.51.100.7");
  });

  test("a malformed hop ends the walk at the last address a trusted proxy vouched for", () => {
    expect(trusted("10.0.0.1", xff("198.51.100.7, not-an-ip"))).toBe("10.0.0.1");
    expect(trusted("10.0.0.1", xff("1.2.3.4:5678"))).toBe("10.0.0.1");
    expect(trusted("10.0.0.1", xff("0x7f.1"))).toBe("10.0.0.1"); // legacy IPv4 forms are not addresses here
    expect(trusted("10.0.0.1", xff("6.6.6.6, 10.9.9.9, garbage, 10.8.8.8"))).toBe("10.8.8.8");
  });

  test("a trusted peer without the header is the client", () => {
    expect(trusted("10.0.0.1", new Headers())).toBe("10.0.0.1");
  });

  test("a peer address that is not an IP address gives no client IP", () => {
    expect(trusted("unix:/tmp/socket", xff("6.6.6.6"))).toBeNull();
  });
});
