/**
 * @module The called AE titles each DICOM SCP (server address and port) accepted associations for, and
 * which of them are its own. An SCP that checks the called title accepts only its own; one that accepted
 * associations addressed to two or more different titles may accept any title (dcmtk storescp without
 * `--require-called-aet`, Orthanc with `DicomCheckCalledAet` false), or may legitimately answer to several
 * (a PACS with a storage and a query title, an old title kept through a migration). So:
 * - the second different title raises `insecure-protocol` `dicom-any-ae-title:PORT` phrased as a
 *   possibility (`detection: several-called-titles`, severity one level below the type's base,
 *   finding-severity.ts), with the evidence of that accept and the packet of the first title's;
 * - a title counts as the server's own when it is the only one it accepted, or when two or more clients
 *   (by address) called it: one workstation's stray call (`WRONG_AE` → `NOT_A_PACS`) is not learned as
 *   the PACS's title, into its inventory record or its monitoring baseline; the other accepted titles
 *   become hints `dicom.acceptedAeTitle`.
 * Tools' probe titles (`ANY-SCP`) never come here (dicom-any-ae.ts).
 * @see DICOM PS3.8 §9.3.2 (Called-AE-title), §9.3.3 A-ASSOCIATE-AC
 */
import { dicomAnyAeTitleFinding } from './dicom-any-ae.js';
import type { Evidence, FindingObservation } from './host-observation.js';

/** Bounds per capture or sensor: a server answering to more titles than this is judged on the first ones. */
const MAX_SERVERS = 10_000;
const MAX_TITLES = 32;

interface CalledTitle {
  /** Client addresses that called it, up to two (two are enough to call it the server's own). */
  clients: string[];
  /** The A-ASSOCIATE-AC that first accepted it. */
  evidence: Evidence;
}

interface ServerTitles {
  ip: string;
  port: number;
  /** By title (trimmed), in the order first accepted. */
  titles: Map<string, CalledTitle>;
  /** A title or client came since the last `settle()`. */
  changed: boolean;
}

/** What `settle()` says about one server: its own titles, and the other titles it accepted. */
export interface SettledTitles {
  ip: string;
  own: string[];
  others: { title: string; evidence: Evidence }[];
}

/** A title is the server's own when it is the only one, or when at least two clients called it. */
export function ownCalledTitles(titles: ReadonlyMap<string, { clients: readonly string[] }>): string[] {
  if (titles.size === 1) return [...titles.keys()];
  return [...titles].filter(([, t]) => t.clients.length >= 2).map(([title]) => title);
}

export class AcceptedCalledTitles {
  private readonly servers = new Map<string, ServerTitles>();

  /**
   * An A-ASSOCIATE-AC answered a request to `calledAeTitle`. Returns the finding when this is the second
   * different title the server accepted (once per server and port).
   */
  accepted(a: {
    server: string;
    port: number;
    client: string;
    calledAeTitle: string;
    evidence: Evidence;
  }): Omit<FindingObservation, 'host'> | undefined {
    const title = a.calledAeTitle.trim();
    if (!title) return undefined;
    const key = `${a.server}|${a.port}`;
    let s = this.servers.get(key);
    if (!s) {
      if (this.servers.size >= MAX_SERVERS) return undefined;
      s = { ip: a.server, port: a.port, titles: new Map(), changed: true };
      this.servers.set(key, s);
    }
    const known = s.titles.get(title);
    if (known) {
      if (known.clients.length < 2 && !known.clients.includes(a.client)) {
        known.clients.push(a.client);
        s.changed = true;
      }
      return undefined;
    }
    if (s.titles.size >= MAX_TITLES) return undefined;
    s.titles.set(title, { clients: [a.client], evidence: a.evidence });
    s.changed = true;
    if (s.titles.size !== 2) return undefined;
    const [first] = s.titles;
    const [firstTitle, firstAccept] = first!;
    const at = firstAccept.evidence.packet !== undefined ? ` (packet ${firstAccept.evidence.packet})` : '';
    return dicomAnyAeTitleFinding({
      port: a.port,
      evidence: {
        ...a.evidence,
        summary: `A-ASSOCIATE-AC to called AE title "${title}" after one to "${firstTitle}"${at}: ${a.server}:${a.port} accepted associations addressed to ${firstTitle} and ${title}: it may accept any called AE title`,
      },
      detection: 'several-called-titles',
      calledAeTitles: [firstTitle, title],
    });
  }

  /** The servers whose titles changed since the last call: which titles are their own, and the others. */
  settle(): SettledTitles[] {
    const out: SettledTitles[] = [];
    for (const s of this.servers.values()) {
      if (!s.changed) continue;
      s.changed = false;
      const own = ownCalledTitles(s.titles);
      const others = [...s.titles]
        .filter(([title]) => !own.includes(title))
        .map(([title, t]) => ({ title, evidence: t.evidence }));
      out.push({ ip: s.ip, own, others });
    }
    return out;
  }
}
