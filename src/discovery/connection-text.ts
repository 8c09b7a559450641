/**
 * @module How evidence names a connection: `10.20.0.21:50123 → 10.20.0.11:104/tcp`, an IPv6 address in
 * brackets, `[fd00:20::21]:50123 → [fd00:20::11]:104/tcp` (RFC 5952 §6), so a port is never read as the
 * address's last group.
 */

/** `address:port`, with an IPv6 address in brackets. */
export function endpointText(ip: string, port: number | string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** `client:port → server:port/transport`. */
export function connectionText(
  clientIp: string,
  clientPort: number | string,
  serverIp: string,
  serverPort: number | string,
  transport: string,
): string {
  return `${endpointText(clientIp, clientPort)} → ${endpointText(serverIp, serverPort)}/${transport}`;
}
