/** Test-side encoders: how IdPs and SPs put a SAML message on the wire. */

export function base64(bytes: Uint8Array | string): string {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Line-wrapped the way IdPs do it: 76 columns, CRLF. */
export function wrap76(text: string): string {
  return (text.match(/.{1,76}/g) ?? []).join("\r\n");
}

export async function deflateRaw(data: Uint8Array<ArrayBuffer> | string): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const compressed = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}

/** HTTP-Redirect binding value: raw DEFLATE, then base64. */
export async function redirectEncode(xml: string): Promise<string> {
  return base64(await deflateRaw(xml));
}

/** `size` zero bytes, deflated without ever holding them all in memory. */
export async function deflatedZeros(size: number): Promise<Uint8Array> {
  const block = new Uint8Array(1 << 20);
  const stream = new CompressionStream("deflate-raw");
  const writer = stream.writable.getWriter();
  const result = new Response(stream.readable).arrayBuffer();
  for (let written = 0; written < size; written += block.length) {
    await writer.write(block.subarray(0, Math.min(block.length, size - written)));
  }
  await writer.close();
  return new Uint8Array(await result);
}
