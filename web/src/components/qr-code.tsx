/**
 * @module A QR code drawn as SVG from the module matrix (`uqr` encodes it): one path, no inline markup
 * from a string and no data: URL, so the dashboard's Content-Security-Policy stays strict.
 */
import { encode } from 'uqr';

const QUIET_ZONE = 4; // modules of white around the code, as ISO/IEC 18004 asks

export function QrCode({ text, label, size = 200 }: { text: string; label: string; size?: number }) {
  const { data } = encode(text, { ecc: 'M', border: 0 });
  const n = data.length + 2 * QUIET_ZONE;
  let d = '';
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x + QUIET_ZONE} ${y + QUIET_ZONE}h1v1h-1z`;
    });
  });
  return (
    <svg
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${n} ${n}`}
      shapeRendering="crispEdges"
      className="qr-code"
    >
      <rect width={n} height={n} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
