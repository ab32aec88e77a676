import ipaddr from "ipaddr.js";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Block = [Address, number];

/** Who the end user is: the peer address, or what a trusted load balancer says the peer was. */
type ClientIpOf = (peer: string | null, headers: Headers) => string | null;

/**
 * Only a peer inside `trusted.cidrs` is believed about the client address. Its header is read
 * right to left (each hop appends the address it saw), skipping addresses that are themselves
 * trusted proxies; the first other address is the client. A malformed entry ends the walk, so
 * a client cannot smuggle an address past a proxy by writing garbage after it.
 */
export function clientIpOf(trusted?: { cidrs: readonly string[]; header: string }): ClientIpOf {
  const blocks: Block[] = (trusted?.cidrs ?? []).map((cidr) => ipaddr.parseCIDR(cidr));
  const isTrusted = (address: Address) => blocks.some(([network, bits]) => network.kind() === address.kind() && address.match(network, bits));
  return function clientIp(peer, headers) {
    const peerAddress = peer === null ? null : parseAddress(peer);
    if (peerAddress === null) return null;
    if (!trusted || !isTrusted(peerAddress)) return peerAddress.toString();
    let client = peerAddress;
    const hops = (headers.get(trusted.header) ?? "").split(",").map((hop) => hop.trim()).filter(Boolean);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parseAddress(hops[i]!);
      if (hop === null) break;
      client = hop;
      if (!isTrusted(hop)) break;
    }
    return client.toString();
  };
}

/** A plain IPv4 (four decimal parts) or IPv6 address; IPv4-mapped IPv6 becomes the IPv4 address. */
function parseAddress(text: string): Address | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text)) return null;
  const v6 = ipaddr.IPv6.parse(text);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}
