/**
 * @module What an MDS2 form says a model can do, in the words other features use: the network services it
 * declares (port lists in the notes of the CONN questions, or of any question whose note names ports
 * with TCP/UDP), encryption at rest (STCF-1) and in transit (TXCF-2, CONN-7 TLS), transmission integrity
 * (TXIG-1), authentication (AUTH, PAUT, ALOF, NAUT), remote service (RMOT), malware protection (MLDP)
 * and SBOM availability (SBOM-1). `true`/`false` are Yes/No; null is N/A, blank or not on the form.
 * Pure.
 * @see ANSI/NEMA HN 1-2019: STCF-1 "Can the device encrypt data at rest?", TXCF-2 "Is personally
 * identifiable information encrypted prior to transmission via a network or removable media?", CONN-2
 * "Does the manufacturer provide a list of network ports and protocols…?", SBOM-1 "Is the SBoM for this
 * product available?"
 */
import type { DeclaredService } from '../../policy/unnecessary-services.js';
import type { Mds2Item } from './mds2-form.js';
import { parsePortList } from './port-list.js';

export interface Mds2Capabilities {
  /** Declared network services, from port lists in the notes. */
  services: DeclaredService[];
  /** Where each declared service was read: question ids. */
  servicesFrom: string[];
  portListProvided: boolean | null;
  encryptionAtRest: boolean | null;
  encryptionInTransit: boolean | null;
  tls: boolean | null;
  transmissionIntegrity: boolean | null;
  authentication: {
    userLogin: boolean | null;
    roleBased: boolean | null;
    uniqueAccounts: boolean | null;
    externalDirectory: boolean | null;
    lockout: boolean | null;
    multiFactor: boolean | null;
    autoLogoff: boolean | null;
    passwordsChangeable: boolean | null;
    nodeAuthentication: boolean | null;
  };
  remoteService: boolean | null;
  malware: {
    hostsExecutableSoftware: boolean | null;
    antiMalware: boolean | null;
    allowlisting: boolean | null;
    hostIntrusionDetection: boolean | null;
  };
  sbomAvailable: boolean | null;
  handlesPii: boolean | null;
  wireless: boolean | null;
  internetRequired: boolean | null;
}

export function mds2Capabilities(items: readonly Mds2Item[]): Mds2Capabilities {
  const byId = new Map(items.map((i) => [i.questionId, i]));
  const yes = (id: string): boolean | null => {
    const a = byId.get(id)?.answer;
    return a === 'yes' ? true : a === 'no' ? false : null;
  };
  const anyYes = (...ids: string[]): boolean | null => {
    const v = ids.map(yes);
    return v.includes(true) ? true : v.includes(false) ? false : null;
  };

  const services: DeclaredService[] = [];
  const from = new Set<string>();
  const seen = new Set<string>();
  for (const i of items) {
    if (!i.note) continue;
    // CONN notes are where ports go; elsewhere only a note that says TCP/UDP or "port" is read.
    if (i.section !== 'CONN' && !/\b(tcp|udp|ports?)\b/i.test(i.note)) continue;
    for (const s of parsePortList(i.note)) {
      const key = `${s.port}/${s.transport}`;
      from.add(i.questionId);
      if (seen.has(key)) continue;
      seen.add(key);
      services.push(s);
    }
  }

  return {
    services,
    servicesFrom: [...from].sort(),
    portListProvided: yes('CONN-2'),
    encryptionAtRest: yes('STCF-1'),
    encryptionInTransit: yes('TXCF-2'),
    tls: yes('CONN-7'),
    transmissionIntegrity: yes('TXIG-1'),
    authentication: {
      userLogin: yes('AUTH-1'),
      roleBased: yes('AUTH-2'),
      uniqueAccounts: yes('PAUT-1'),
      externalDirectory: anyYes('PAUT-2', 'AUTH-1.1'),
      lockout: yes('PAUT-3'),
      multiFactor: yes('PAUT-8'),
      autoLogoff: yes('ALOF-1'),
      passwordsChangeable: yes('PAUT-5'),
      nodeAuthentication: yes('NAUT-1'),
    },
    remoteService: yes('RMOT-1'),
    malware: {
      hostsExecutableSoftware: yes('MLDP-1'),
      antiMalware: yes('MLDP-2'),
      allowlisting: yes('MLDP-4'),
      hostIntrusionDetection: yes('MLDP-5'),
    },
    sbomAvailable: yes('SBOM-1'),
    handlesPii: yes('MPII-1'),
    wireless: anyYes('CONN-1.1', 'CONN-1.1.1', 'CONN-1.1.2', 'CONN-1.1.3'),
    internetRequired: yes('CONN-6'),
  };
}
