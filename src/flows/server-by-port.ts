/**
 * @module The port heuristic that tells a server from a client when no handshake was seen (TCP picked up
 * mid-stream, UDP always).
 */

/**
 * Which side of a conversation is the server, judged by ports alone: the one on a well-known port (< 1024)
 * when only one is; else the one on a non-ephemeral port (< 32768, the start of Linux's default ephemeral
 * range; IANA's starts at 49152, Windows uses 49152+) when only one is; null when the ports do not tell
 * (the caller then takes the first talker as the client).
 */
export function serverByPort(srcPort: number, dstPort: number): 'src' | 'dst' | null {
  const srcWellKnown = srcPort < 1024;
  if (srcWellKnown !== dstPort < 1024) return srcWellKnown ? 'src' : 'dst';
  const srcEphemeral = srcPort >= 32768;
  if (srcEphemeral !== dstPort >= 32768) return srcEphemeral ? 'dst' : 'src';
  return null;
}
