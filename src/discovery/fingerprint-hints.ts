/**
 * @module The vocabulary of fingerprint inputs: the `kind` of each entry in `HostObservation.hints` that the
 * fingerprint rules read, what its `value` holds and who emits it. Sources (the capture analyzer, the nmap
 * importer) put raw protocol facts here; `fingerprintHost` turns them into identity values.
 *
 * A hint value is what the device itself sent, trimmed, never a secret: no passwords, community strings,
 * cookies, patient data or authorization headers. One hint per distinct value; when a host sends the same
 * value many times, keep the first evidence.
 */

export interface HintKind {
  /** What the value holds, with an example. */
  value: string;
  /** The protocol field it comes from. */
  see: string;
  /** Who emits it: `capture` (passive analyzer), `nmap` (scan import) or `fingerprint` (derived here). */
  from: ('capture' | 'nmap' | 'fingerprint')[];
}

export const HINT_KINDS = {
  'dhcp.vendorClass': {
    value: 'Vendor Class Identifier as sent by the client: `MSFT 5.0`, `udhcp 1.35.0`, `android-dhcp-13`',
    see: 'RFC 2132 §9.13 option 60',
    from: ['capture'],
  },
  'dhcp.paramList': {
    value:
      'Parameter Request List, decimal option codes in the order sent, joined by commas: `1,28,3,15,6,12,42`',
    see: 'RFC 2132 §9.8 option 55',
    from: ['capture'],
  },
  'dhcp.hostname': {
    value: 'Host Name the client asked for: `CT-RHAPSODE-01` (also add it to `hostnames`)',
    see: 'RFC 2132 §3.14 option 12',
    from: ['capture'],
  },
  'dhcp.clientFqdn': {
    value: 'Client FQDN: `ws12.sgh.example`',
    see: 'RFC 4702 option 81',
    from: ['capture'],
  },
  'dhcp.leasedAddress': {
    value:
      'IPv4 address a DHCP ACK gave this client (`yiaddr`): `10.20.0.23` (also added to `ips`; evidence is the ACK)',
    see: 'RFC 2131 §4.3.1, DHCPACK',
    from: ['capture'],
  },
  'dhcp.declinedAddress': {
    value:
      "IPv4 address this client refused with a DHCPDECLINE (option 50, else the address its last ACK gave): `10.20.0.23`; the lease binding is dropped, the address is not the client's",
    see: 'RFC 2131 §4.4.1, DHCPDECLINE',
    from: ['capture'],
  },
  'http.userAgent': {
    value: 'User-Agent this host sent as an HTTP client',
    see: 'RFC 9110 §10.1.5',
    from: ['capture'],
  },
  'http.server': {
    value: 'Server header this host sent as an HTTP server: `SimpleHTTP/0.6 Python/3.11.2`',
    see: 'RFC 9110 §10.2.4',
    from: ['capture', 'nmap'],
  },
  'http.title': {
    value: 'The <title> of a page this host served: `Orthanc Explorer`',
    see: 'nmap http-title',
    from: ['capture', 'nmap'],
  },
  'ssh.banner': {
    value:
      'SSH identification string this host sent, without CR LF: `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10`',
    see: 'RFC 4253 §4.2',
    from: ['capture', 'nmap'],
  },
  'ftp.banner': {
    value: 'The server greeting line (220 reply): `220 (vsFTPd 3.0.3)`',
    see: 'RFC 959 §4.2',
    from: ['capture', 'nmap'],
  },
  'telnet.banner': {
    value: 'Printable text the server sent before login, option negotiation removed: `vm login:`',
    see: 'RFC 854',
    from: ['capture', 'nmap'],
  },
  'mdns.service': {
    value: 'DNS-SD service type this host announced: `_dicom._tcp`, `_http._tcp`',
    see: 'RFC 6763 §7',
    from: ['capture'],
  },
  'mdns.instance': {
    value: 'DNS-SD service instance name this host announced: `Infusion Pump E-214`',
    see: 'RFC 6763 §4.1',
    from: ['capture'],
  },
  'mdns.advertisedPort': {
    value:
      'Service type and port a DNS-SD SRV record of this host advertised: `_http._tcp 80`. A claim, not a listener: it makes no service',
    see: 'RFC 6763 §5, RFC 2782',
    from: ['capture'],
  },
  'mdns.txt': {
    value:
      'One `key=value` pair of a TXT record this host announced, one hint per pair: `model=SIGMA-SPECTRUM`',
    see: 'RFC 6763 §6',
    from: ['capture'],
  },
  'snmp.sysDescr': {
    value: 'sysDescr.0 this host answered with (first line)',
    see: 'RFC 3418 sysDescr 1.3.6.1.2.1.1.1',
    from: ['capture', 'nmap'],
  },
  'snmp.sysObjectID': {
    value: 'sysObjectID.0 as a dotted OID: `1.3.6.1.4.1.8072.3.2.10`',
    see: 'RFC 3418 sysObjectID 1.3.6.1.2.1.1.2',
    from: ['capture'],
  },
  'tls.certSubject': {
    value:
      'Subject of the certificate this host presented as a server, RFC 4514 order: `CN=pacs.sgh.example,O=…`',
    see: 'RFC 5280 §4.1.2.6',
    from: ['capture', 'nmap'],
  },
  'tls.certIssuer': {
    value: 'Issuer of that certificate, same form',
    see: 'RFC 5280 §4.1.2.4',
    from: ['capture', 'nmap'],
  },
  'smb.os': {
    value:
      'OS string a host reported in SMB session setup or nmap smb-os-discovery: `Windows 7 Professional 7601 …`',
    see: 'MS-SMB §2.2.4.6.2 NativeOS',
    from: ['capture', 'nmap'],
  },
  'dicom.manufacturer': {
    value: 'Manufacturer (0008,0070) of data sets this host sent in C-STORE (the originating device)',
    see: 'DICOM PS3.3 C.7.5.1 General Equipment Module',
    from: ['capture'],
  },
  'dicom.model': {
    value: "Manufacturer's Model Name (0008,1090) of those data sets",
    see: 'DICOM PS3.3 C.7.5.1',
    from: ['capture'],
  },
  'dicom.softwareVersion': {
    value: 'Software Versions (0018,1020) of those data sets',
    see: 'DICOM PS3.3 C.7.5.1',
    from: ['capture'],
  },
  'dicom.modality': {
    value: 'Modality (0008,0060) of those data sets: `CT`, `MR`, `US`, `ECG`',
    see: 'DICOM PS3.3 C.7.3.1.1.1',
    from: ['capture'],
  },
  'dicom.equipment': {
    value:
      'The equipment that made one of those data sets, its attributes that have a value: `manufacturer: GE MEDICAL SYSTEMS; model: RHAPSODE; station: CT01_OC0` (also `serial:`)',
    see: 'DICOM PS3.3 C.7.5.1 (0008,0070), (0008,1090), (0018,1000), (0008,1010)',
    from: ['capture'],
  },
  'dicom.forwarder': {
    value:
      'The host sent objects made by several different devices (`dicom.equipment`, this and earlier sources): `sends objects made by 2 different devices: a forwarder`. Its data sets then name no identity of its own',
    see: 'dicom-equipment.ts',
    from: ['fingerprint'],
  },
  'dicom.ping': {
    value: 'nmap dicom-ping verdict: `Any AET is accepted (Insecure)` or `Called AET check enabled`',
    see: 'nmap dicom-ping.nse',
    from: ['nmap'],
  },
  'dicom.probeAeTitle': {
    value:
      "A scanning or test tool's default AE title this host used or answered to (`ANY-SCP`, `ECHOSCU`): kept as a hint, never as one of the host's AE titles",
    see: 'DICOM PS3.8 §9.3.2; dicom-any-ae.ts',
    from: ['capture'],
  },
  'dicom.acceptedAeTitle': {
    value:
      'A called AE title this SCP accepted an association for that is not counted as its own: it accepted several different called titles and only one client called this one (`NOT_A_PACS`)',
    see: 'DICOM PS3.8 §9.3.2; dicom-called-titles.ts',
    from: ['capture'],
  },
  'dicom.calledAeTitle': {
    value:
      "The called AE title of a client's A-ASSOCIATE-RQ to this host when the capture holds only the client's direction: the title the caller takes this SCP to have, not counted as its own (`PACS_MAIN`)",
    see: 'DICOM PS3.8 §9.3.2; receiving-only.ts',
    from: ['capture'],
  },
  'hl7.messageProfile': {
    value: 'MSH-21 Message Profile Identifier: `IHE_PCD_001`',
    see: 'HL7 v2.5 §2.15.9.21',
    from: ['capture'],
  },
  'nmap.os': {
    value: 'An nmap OS match name with its accuracy: `Linux 5.0 - 5.2 (97%)`',
    see: 'nmap.dtd osmatch',
    from: ['nmap'],
  },
  'nmap.osClass': {
    value: 'An nmap OS class as `vendor|osfamily|osgen|type`: `AXIS|embedded||webcam`',
    see: 'nmap.dtd osclass',
    from: ['nmap'],
  },
  'nmap.deviceType': {
    value: 'nmap device type (osclass type or service devicetype): `router`, `webcam`, `general purpose`',
    see: 'nmap.dtd osclass/@type, service/@devicetype',
    from: ['nmap'],
  },
  'nmap.serviceOs': {
    value: 'The OS nmap inferred from a service banner (service/@ostype): `Linux`, `Windows`',
    see: 'nmap.dtd service/@ostype',
    from: ['nmap'],
  },
  'nmap.macVendor': {
    value: "Vendor nmap printed for the MAC (nmap's own prefix table; `oui.vendor` is the IEEE registry's)",
    see: 'nmap.dtd address/@vendor',
    from: ['nmap'],
  },
  cpe: {
    value: 'A CPE 2.2 URI nmap reported: `cpe:/o:linux:linux_kernel`, `cpe:/a:openbsd:openssh:9.2p1`',
    see: 'NIST IR 7695 (CPE naming)',
    from: ['nmap'],
  },
  'oui.vendor': {
    value: 'IEEE registry organisation of one of the MACs (derived by fingerprintHost from `macs`)',
    see: 'IEEE RA MA-L/MA-M/MA-S',
    from: ['fingerprint'],
  },
  software: {
    value: 'A software stack the evidence identifies, `name version`: `dcmtk 3.6.7`, `pynetdicom 2.0.2`',
    see: 'fingerprint rules',
    from: ['fingerprint'],
  },
} as const satisfies Record<string, HintKind>;

export type HintKindName = keyof typeof HINT_KINDS;

/**
 * Facts the fingerprint engine derives from the structured parts of a HostObservation (not hints), which
 * rules may also match on.
 */
export const DERIVED_FACTS = {
  hostname: 'each of `hostnames`',
  protocol: 'each of `protocols`',
  service: 'each service as `tcp/104/dicom` (protocol `unknown` when null)',
  'service.product': 'each service product with its version: `OpenSSH 9.2p1 Debian 2+deb12u10`',
  'dicom.implementationVersionName': '`dicom.implementationVersionName`: `OFFIS_DCMTK_367`',
  'dicom.implementationClassUid': '`dicom.implementationClassUid`: `1.2.276.0.7230010.3.0.3.6.7`',
  'dicom.sopClass': 'each of `dicom.sopClasses`',
  'dicom.storageModalities':
    'distinct modalities of the storage SOP classes, sorted, comma-joined: `CT` or `CT,MR`',
  'dicom.role': 'each of `dicom.roles`',
  'dicom.aeTitle': 'each of `dicom.aeTitles`',
  'hl7.sendingApplication': 'each of `hl7.sendingApplications`',
  'hl7.sendingFacility': 'each of `hl7.sendingFacilities`',
  'hl7.receivingApplication': 'each of `hl7.receivingApplications`',
  'hl7.messageType': 'each of `hl7.messageTypes`: `ORU^R01`',
} as const;
