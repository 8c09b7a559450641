/**
 * @module What a person calls a device, from facts already at hand: no database access, so the dashboard
 * names devices exactly as the server's lists, reports and notifications do (device-label.ts reads the
 * facts from the store and uses these).
 */

/** The naming facts of a device (the store's DeviceLabelRow has this shape). */
export interface DeviceNameFacts {
  id: string;
  asset_tag: string | null;
  device_class: string;
  manufacturer_name: string | null;
  model_name: string | null;
  hostname: string | null;
  /** Every IP address, newest first. */
  ips: readonly string[];
  mac: string | null;
}

/** The label of a device with nothing to name it by, or one deleted since it was listed. */
export const unnamed = (id: string) => `device ${id.slice(0, 8)}`;

/**
 * The address a person would use, of those newest first: IPv4 before IPv6, a link-local fe80:: address
 * (which every IPv6 host derives from its MAC) only when there is nothing else.
 */
export function preferredIp(ips: readonly string[]): string | undefined {
  return ips.find((ip) => !ip.includes(':')) ?? ips.find((ip) => !/^fe[89ab]/i.test(ip)) ?? ips[0];
}

/**
 * The asset tag when there is one (the hospital's own name for the unit); otherwise make and model (or
 * the class, when known) with the device's newest host name, IP (IPv4 first, link-local IPv6 last) or MAC
 * in brackets; otherwise only the address; a device with none of these is "device" and the start of its id.
 */
export function deviceLabel(d: DeviceNameFacts): string {
  if (d.asset_tag) return d.asset_tag;
  const name =
    [d.manufacturer_name, d.model_name].filter(Boolean).join(' ') ||
    (d.device_class && d.device_class !== 'unknown' ? d.device_class : '');
  const where = d.hostname ?? preferredIp(d.ips) ?? d.mac;
  if (name && where) return `${name} (${where})`;
  return name || where || unnamed(d.id);
}

/** The label of a device as the API returns it (its identifiers newest first, as the store gives them). */
export function labelOfDevice(d: {
  id: string;
  assetTag: string | null;
  deviceClass: string;
  manufacturer: string | null;
  model: string | null;
  hostnames: readonly string[];
  ips: readonly string[];
  macs: readonly string[];
}): string {
  return deviceLabel({
    id: d.id,
    asset_tag: d.assetTag,
    device_class: d.deviceClass,
    manufacturer_name: d.manufacturer,
    model_name: d.model,
    hostname: d.hostnames[0] ?? null,
    ips: d.ips,
    mac: d.macs[0] ?? null,
  });
}
