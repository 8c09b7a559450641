/**
 * @module Fingerprint rules for general-purpose operating systems (Windows, Linux distributions, Android,
 * Apple, BSD) from DHCP, HTTP, SSH, SMB, SNMP and nmap evidence. A hospital network is mostly these; knowing
 * a "medical workstation" runs Windows 7 matters for patching.
 */
import type { FingerprintRule } from './fingerprint-rule.js';

/** Windows NT kernel version → marketing name, as Microsoft documents for `Windows NT x.y` tokens. */
const WINDOWS_NT: [version: string, name: string][] = [
  ['10\\.0', '10/11'],
  ['6\\.3', '8.1'],
  ['6\\.2', '8'],
  ['6\\.1', '7'],
  ['6\\.0', 'Vista'],
  ['5\\.2', 'XP x64/Server 2003'],
  ['5\\.1', 'XP'],
];

/** IIS version → the Windows release that ships it (IIS is not installable separately). */
const IIS: [version: string, windows: string][] = [
  ['10\\.0', '10/Server 2016+'],
  ['8\\.5', '8.1/Server 2012 R2'],
  ['8\\.0', '8/Server 2012'],
  ['7\\.5', '7/Server 2008 R2'],
  ['7\\.0', 'Vista/Server 2008'],
  ['6\\.0', 'Server 2003'],
  ['5\\.1', 'XP'],
  ['5\\.0', '2000'],
];

/** Debian security-update suffix `+debNuM` or codename → release, from Debian's package version policy. */
const DEBIAN: [pattern: string, release: string][] = [
  ['deb(\\d+)u\\d+', '{1}'],
  ['etch\\d*', '4'],
  ['lenny\\d*', '5'],
  ['squeeze\\d*', '6'],
];

export const OS_RULES: FingerprintRule[] = [
  // ---- DHCP -------------------------------------------------------------------------------------------
  {
    id: 'dhcp-vendor-class-msft',
    when: [{ fact: 'dhcp.vendorClass', matches: '^MSFT (5\\.0|98)$' }],
    sets: { os: 'Windows' },
    confidence: 0.75,
    why: 'Windows DHCP clients send vendor class "MSFT 5.0" (2000 and later) or "MSFT 98" ([MS-DHCPE] §2.2.4; PRADS etc/dhcp.fp Windows XP/7 signatures).',
  },
  {
    id: 'dhcp-vendor-class-android',
    when: [{ fact: 'dhcp.vendorClass', matches: '^android-dhcp-(\\S+)$' }],
    sets: { os: 'Android', osVersion: '{1}' },
    confidence: 0.8,
    why: 'AOSP DhcpPacket.getVendorId() returns "android-dhcp-" + Build.VERSION.RELEASE.',
  },
  {
    id: 'dhcp-vendor-class-dhcpcd',
    when: [
      {
        fact: 'dhcp.vendorClass',
        matches: '^dhcpcd[- ]([\\d.]+):(Linux|NetBSD|FreeBSD|OpenBSD|DragonFly)-([^:]+)',
      },
    ],
    sets: { os: '{2}', osVersion: '{3}', software: 'dhcpcd {1}' },
    confidence: 0.7,
    why: 'dhcpcd.conf(5) vendorclassid: default "dhcpcd-VERSION:OS-RELEASE:MACHINE:PLATFORM".',
  },
  {
    id: 'dhcp-vendor-class-udhcp',
    when: [{ fact: 'dhcp.vendorClass', matches: '^udhcp ([\\d.]+)$' }],
    sets: { os: 'Linux', software: 'BusyBox udhcpc {1}' },
    confidence: 0.6,
    why: 'BusyBox udhcpc sends "udhcp VERSION" by default (networking/udhcp/dhcpc.c); BusyBox means embedded Linux. Seen from the ECG in shared captures 01-dhcp-dns-mdns.pcap.',
  },
  {
    id: 'dhcp-prl-windows',
    when: [
      {
        fact: 'dhcp.paramList',
        matches: '^1,(3,6,15,31,33,43,44,46,47,119,121,249,252|15,3,6,44,46,47,31,33,(121,)?249,43(,252)?)$',
      },
    ],
    sets: { os: 'Windows' },
    confidence: 0.55,
    why: "Parameter request lists of Windows XP/7 (PRADS etc/dhcp.fp) and Windows 10/11 (fingerbank.org); 249 is Microsoft's classless-static-route option.",
  },
  {
    id: 'dhcp-prl-apple',
    when: [{ fact: 'dhcp.paramList', matches: '^1,121,3,6,15,(108,)?(114,)?119,252(,95,44,46)?$' }],
    sets: { manufacturer: 'Apple' },
    confidence: 0.5,
    why: 'Request list shared by macOS and iOS DHCP clients (fingerbank.org Apple fingerprints).',
  },
  {
    id: 'dhcp-hostname-android',
    when: [{ fact: 'dhcp.hostname', matches: '^android-[0-9a-f]{8,16}$' }],
    sets: { os: 'Android' },
    confidence: 0.6,
    why: 'Android before 8.0 set net.hostname to "android-" + ANDROID_ID (AOSP ConnectivityService).',
  },
  // ---- HTTP User-Agent (a client's own claim; curl can send any string, so below banner confidence) ----
  ...WINDOWS_NT.map(
    ([nt, name]): FingerprintRule => ({
      id: `http-ua-windows-nt-${nt.replace('\\.', '-')}`,
      when: [{ fact: 'http.userAgent', matches: `\\bWindows NT ${nt}\\b` }],
      sets: { os: 'Windows', osVersion: name },
      confidence: 0.6,
      why: `Browsers put "Windows NT ${nt.replace('\\', '')}" in the User-Agent on Windows ${name} (Microsoft "User-Agent string" documentation).`,
    }),
  ),
  {
    id: 'http-ua-android',
    when: [{ fact: 'http.userAgent', matches: '\\bAndroid (\\d+(?:\\.\\d+)*)' }],
    sets: { os: 'Android', osVersion: '{1}' },
    confidence: 0.6,
    why: 'Android WebView/Chrome and Dalvik User-Agents carry "Android VERSION" (developer.android.com user-agent notes).',
  },
  {
    id: 'http-ua-dalvik-model',
    when: [
      {
        fact: 'http.userAgent',
        matches: '^Dalvik/[\\d.]+ \\(Linux; U; Android [\\d.]+; (?<model>[^;)]+?) Build/',
      },
    ],
    sets: { model: '{model}' },
    confidence: 0.5,
    why: 'The Dalvik/ART default User-Agent is "Dalvik/VER (Linux; U; Android REL; MODEL Build/ID)" (AOSP System.getProperty("http.agent")).',
  },
  {
    id: 'http-ua-ios',
    when: [{ fact: 'http.userAgent', matches: '\\((?:iPhone|iPad|iPod)[^)]*? OS (\\d+)_(\\d+)' }],
    sets: { os: 'iOS', osVersion: '{1}.{2}', manufacturer: 'Apple' },
    confidence: 0.6,
    why: 'Safari on iOS sends "(iPhone; CPU iPhone OS 16_0 like Mac OS X)".',
  },
  {
    id: 'http-ua-macos',
    when: [{ fact: 'http.userAgent', matches: '\\(Macintosh; Intel Mac OS X (\\d+)[_.](\\d+)' }],
    sets: { os: 'macOS', osVersion: '{1}.{2}', manufacturer: 'Apple' },
    confidence: 0.55,
    why: 'Browsers on macOS send "(Macintosh; Intel Mac OS X 10_15_7)" (frozen at 10_15_7 since macOS 11).',
  },
  {
    id: 'http-ua-linux',
    when: [{ fact: 'http.userAgent', matches: '\\(X11; (?:Ubuntu; )?Linux ' }],
    sets: { os: 'Linux' },
    confidence: 0.5,
    why: 'Desktop Linux browsers send "(X11; Linux x86_64)"; Android UAs also say Linux but never X11.',
  },
  {
    id: 'http-ua-debian-apt',
    when: [{ fact: 'http.userAgent', matches: '^Debian APT-HTTP/' }],
    sets: { os: 'Linux', osVersion: 'Debian' },
    confidence: 0.6,
    why: 'APT\'s HTTP method identifies itself as "Debian APT-HTTP/1.3 (VERSION)" (apt methods/http.cc).',
  },
  {
    id: 'http-ua-windows-components',
    when: [
      {
        fact: 'http.userAgent',
        matches:
          '^(Microsoft-CryptoAPI|Microsoft NCSI|Windows-Update-Agent|Microsoft BITS|Microsoft-Delivery-Optimization)/?',
      },
    ],
    sets: { os: 'Windows' },
    confidence: 0.7,
    why: 'Built-in Windows services (certificate revocation, connectivity probe, Windows Update, BITS) send these fixed User-Agents; seen in the WRCCDC 2018 Zeek software.log.',
  },
  // ---- HTTP Server -------------------------------------------------------------------------------------
  ...IIS.map(
    ([v, windows]): FingerprintRule => ({
      id: `http-server-iis-${v.replace('\\.', '-')}`,
      when: [{ fact: 'http.server', matches: `^Microsoft-IIS/${v}$` }],
      sets: { os: 'Windows', osVersion: windows },
      confidence: 0.75,
      why: `IIS ${v.replace('\\', '')} ships only with Windows ${windows} (Microsoft Learn, "IIS versions and Windows").`,
    }),
  ),
  {
    id: 'http-server-httpapi',
    when: [{ fact: 'http.server', matches: '\\bMicrosoft-HTTPAPI/' }],
    sets: { os: 'Windows' },
    confidence: 0.7,
    why: 'HTTP.sys (kernel HTTP stack of Windows) answers with "Microsoft-HTTPAPI/2.0" when no application claims the URL.',
  },
  {
    id: 'http-server-upnp-windows',
    when: [{ fact: 'http.server', matches: '^Microsoft-Windows-NT/(5\\.1|6\\.\\d|10\\.0) UPnP/' }],
    sets: { os: 'Windows' },
    confidence: 0.7,
    why: 'The Windows UPnP Device Host sends "Microsoft-Windows-NT/5.1 UPnP/1.0 UPnP-Device-Host/1.0" (WRCCDC 2018 software.log).',
  },
  {
    id: 'http-server-win32',
    when: [{ fact: 'http.server', matches: '\\((Win32|Win64)\\)' }],
    sets: { os: 'Windows' },
    confidence: 0.65,
    why: 'Apache httpd ServerTokens OS puts the build platform in parentheses: "Apache/2.4.2 (Win32)".',
  },
  {
    id: 'http-server-distro',
    when: [{ fact: 'http.server', matches: '\\((Debian|Ubuntu|Raspbian|CentOS|Red Hat|Fedora|SUSE)\\)' }],
    sets: { os: 'Linux', osVersion: '{1}' },
    confidence: 0.65,
    why: 'Distribution builds of Apache httpd and nginx name the distribution: "Apache/2.4.10 (Debian)".',
  },
  // ---- SSH banners ---------------------------------------------------------------------------------------
  ...DEBIAN.map(
    ([pattern, release], i): FingerprintRule => ({
      id: `ssh-openssh-debian-${i}`,
      when: [{ fact: 'ssh.banner', matches: `^SSH-[\\d.]+-OpenSSH_\\S+ (?:Debian|Raspbian)-\\S*${pattern}` }],
      sets: { os: 'Linux', osVersion: `Debian ${release}` },
      confidence: 0.7,
      why: 'Debian\'s OpenSSH adds the package revision as comment ("OpenSSH_9.2p1 Debian-2+deb12u10"); "+debNuM" marks Debian N security updates.',
    }),
  ),
  {
    id: 'ssh-openssh-linux-distro',
    when: [{ fact: 'ssh.banner', matches: '^SSH-[\\d.]+-OpenSSH_\\S+ (Debian|Ubuntu|Raspbian)\\b' }],
    sets: { os: 'Linux', osVersion: '{1}' },
    confidence: 0.65,
    why: 'Distribution OpenSSH packages name the distribution in the version comment (RFC 4253 §4.2 comments).',
  },
  {
    id: 'ssh-openssh-freebsd',
    when: [{ fact: 'ssh.banner', matches: '^SSH-[\\d.]+-OpenSSH_\\S+ FreeBSD-' }],
    sets: { os: 'FreeBSD' },
    confidence: 0.7,
    why: 'FreeBSD base OpenSSH sends "OpenSSH_x.y FreeBSD-YYYYMMDD".',
  },
  {
    id: 'ssh-openssh-windows',
    when: [{ fact: 'ssh.banner', matches: '^SSH-[\\d.]+-OpenSSH_for_Windows_' }],
    sets: { os: 'Windows' },
    confidence: 0.8,
    why: 'Microsoft\'s Win32-OpenSSH port identifies as "OpenSSH_for_Windows_x.y".',
  },
  {
    id: 'ssh-openssh-plain',
    when: [
      { fact: 'ssh.banner', matches: '^SSH-[\\d.]+-OpenSSH_(?!for_Windows)' },
      { fact: 'ssh.banner', matches: ' (Debian|Ubuntu|Raspbian|FreeBSD)\\b', absent: true },
    ],
    sets: { os: 'Linux' },
    confidence: 0.35,
    why: 'An OpenSSH server without a distribution comment is most often Linux, but may be a BSD or an appliance.',
  },
  {
    id: 'ssh-client-putty',
    when: [{ fact: 'ssh.banner', matches: '^SSH-[\\d.]+-PuTTY_Release_' }],
    sets: { os: 'Windows' },
    confidence: 0.45,
    why: 'PuTTY (mostly run on Windows) sends "SSH-2.0-PuTTY_Release_0.78" as client; shared capture 07-telnet-ftp-ssh-mqtt.pcap.',
  },
  // ---- SMB, SNMP, TLS ------------------------------------------------------------------------------------
  {
    id: 'smb-native-os-windows',
    when: [{ fact: 'smb.os', matches: '^(Windows (?:Server )?(\\S+(?: R2)?))' }],
    sets: { os: 'Windows', osVersion: '{2}' },
    confidence: 0.8,
    why: 'SMB1 session setup NativeOS and nmap smb-os-discovery report the Windows edition.',
  },
  {
    id: 'smb-native-os-samba',
    when: [{ fact: 'smb.os', matches: '^(Unix|Samba)\\b' }],
    sets: { os: 'Linux' },
    confidence: 0.4,
    why: 'Samba reports NativeOS "Unix"; it runs mostly on Linux.',
  },
  {
    id: 'snmp-sysdescr-windows',
    when: [{ fact: 'snmp.sysDescr', matches: 'Software: Windows (?:Version )?([\\d.]+)' }],
    sets: { os: 'Windows', osVersion: '{1}' },
    confidence: 0.8,
    why: 'The Windows SNMP service sysDescr is "Hardware: … - Software: Windows Version 6.1 (Build 7601 …)".',
  },
  {
    id: 'snmp-sysdescr-linux',
    when: [{ fact: 'snmp.sysDescr', matches: '^Linux \\S+ (\\d+\\.\\d+[\\w.-]*)' }],
    sets: { os: 'Linux', osVersion: '{1}' },
    confidence: 0.8,
    why: 'net-snmp\'s default sysDescr is `uname -a`: "Linux HOST 5.10.0-… #1 SMP …".',
  },
  // ---- nmap ----------------------------------------------------------------------------------------------
  {
    id: 'nmap-cpe-windows',
    when: [{ fact: 'cpe', matches: '^cpe:/o:microsoft:windows(?:_([a-z0-9_.]+))?' }],
    sets: { os: 'Windows', osVersion: '{1|cpe}' },
    confidence: 0.6,
    why: 'nmap service/OS probes emit cpe:/o:microsoft:windows… for Windows matches (nmap-service-probes).',
  },
  {
    id: 'nmap-cpe-linux',
    when: [{ fact: 'cpe', matches: '^cpe:/o:linux:linux_kernel(?::([\\d.]+))?' }],
    sets: { os: 'Linux', osVersion: '{1}' },
    confidence: 0.55,
    why: 'nmap emits cpe:/o:linux:linux_kernel for Linux matches.',
  },
  {
    id: 'nmap-cpe-macos',
    when: [{ fact: 'cpe', matches: '^cpe:/o:apple:mac_os_x(?::([\\d.]+))?' }],
    sets: { os: 'macOS', osVersion: '{1}', manufacturer: 'Apple' },
    confidence: 0.6,
    why: 'nmap emits cpe:/o:apple:mac_os_x for macOS matches (e.g. "Apple remote desktop vnc").',
  },
  {
    id: 'nmap-cpe-ios',
    when: [{ fact: 'cpe', matches: '^cpe:/o:apple:iphone_os(?::([\\d.]+))?' }],
    sets: { os: 'iOS', osVersion: '{1}', manufacturer: 'Apple' },
    confidence: 0.6,
    why: 'nmap emits cpe:/o:apple:iphone_os for iOS matches.',
  },
  {
    id: 'nmap-service-os',
    when: [{ fact: 'nmap.serviceOs', matches: '^(Linux|Windows|FreeBSD|OpenBSD|NetBSD|VxWorks|QNX)$' }],
    sets: { os: '{1}' },
    confidence: 0.55,
    why: 'nmap-service-probes match lines carry o/OS/ when the banner proves it (e.g. OpenSSH Debian builds → Linux).',
  },
  {
    id: 'nmap-device-type-it',
    when: [
      {
        fact: 'nmap.deviceType',
        matches:
          '^(printer|router|broadband router|switch|WAP|firewall|load balancer|proxy server|security-misc|storage-misc|terminal server|print server|bridge|hub|remote management|VoIP adapter)$',
      },
    ],
    sets: { deviceClass: 'it' },
    confidence: 0.45,
    why: 'nmap device types for network and office equipment (nmap-os-db "Class" lines; nmap book §8.5 device types).',
  },
  {
    id: 'nmap-device-type-iot',
    when: [
      {
        fact: 'nmap.deviceType',
        matches:
          '^(webcam|media device|power-device|VoIP phone|game console|PDA|phone|specialized|terminal)$',
      },
    ],
    sets: { deviceClass: 'iot' },
    confidence: 0.35,
    why: 'nmap device types for embedded non-medical equipment; "specialized" covers industrial and lab gear too, hence low confidence.',
  },
  {
    id: 'nmap-osclass-embedded-vendor',
    when: [{ fact: 'nmap.osClass', matches: '^([^|]+)\\|embedded\\|' }],
    sets: { manufacturer: '{1}' },
    confidence: 0.35,
    why: 'For embedded OS classes nmap names the device maker as vendor (e.g. AXIS|embedded||webcam); an OS guess, not a proof.',
  },
];
