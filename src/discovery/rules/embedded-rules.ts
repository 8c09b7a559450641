/**
 * @module Fingerprint rules for embedded operating systems and the network stacks, web servers and shells
 * that betray them (VxWorks, ThreadX/NetX, BusyBox, Dropbear, RomPager, GoAhead …). Many infusion pumps,
 * monitors and analyzers run one of these, and their advisories are filed against the stack (URGENT/11 for
 * VxWorks IPnet, Ripple20 for Treck), so naming the stack is useful even when the device stays unknown.
 */
import type { FingerprintRule } from './fingerprint-rule.js';

export const EMBEDDED_RULES: FingerprintRule[] = [
  {
    id: 'ftp-banner-vxworks',
    when: [
      {
        fact: 'ftp.banner',
        matches: '^220 (?:[\\w.-]+ )?(?:VxWorks|Tornado-vxWorks)\\b.*?\\(VxWorks ?([\\d.]+)',
      },
    ],
    sets: { os: 'VxWorks', osVersion: '{1}' },
    confidence: 0.85,
    why: 'VxWorks ftpd greets "220 VxWorks (VxWorks5.4.2) FTP server ready" (nmap-service-probes ftp matches with o/VxWorks/).',
  },
  {
    id: 'ftp-banner-vxworks-plain',
    when: [{ fact: 'ftp.banner', matches: '^220 (?:VxWorks|vxTarget|Tornado-vxWorks)\\b' }],
    sets: { os: 'VxWorks' },
    confidence: 0.8,
    why: 'VxWorks ftpd greeting without a version (nmap-service-probes).',
  },
  {
    id: 'ftp-banner-wind-river',
    when: [{ fact: 'ftp.banner', matches: '^220 Wind River FTP server ([\\w.-]+) ready' }],
    sets: { os: 'VxWorks', software: 'Wind River FTP server {1}' },
    confidence: 0.8,
    why: 'nmap-service-probes: "220 Wind River FTP server X ready" → o/VxWorks/ cpe:/o:windriver:vxworks.',
  },
  {
    id: 'telnet-banner-vxworks',
    when: [{ fact: 'telnet.banner', matches: '^\\s*VxWorks login:' }],
    sets: { os: 'VxWorks' },
    confidence: 0.85,
    why: 'VxWorks telnetd prompts "VxWorks login:" (nmap-service-probes telnet matches with o/VxWorks/).',
  },
  {
    id: 'http-server-windweb',
    when: [{ fact: 'http.server', matches: '\\b(?:WindWeb|WindRiver-WebServer)/([\\w.-]+)' }],
    sets: { os: 'VxWorks', software: 'Wind River WindWeb {1}' },
    confidence: 0.75,
    why: "WindWeb is Wind River's embedded web server for VxWorks (nmap-service-probes cpe:/a:windriver:windweb).",
  },
  {
    id: 'http-server-netx',
    when: [{ fact: 'http.server', matches: '^NetX HTTPS? (?:Server )?([\\d.]+|Experimental)?' }],
    sets: { os: 'ThreadX', software: 'NetX HTTP {1}' },
    confidence: 0.7,
    why: 'NetX/NetX Duo (the TCP/IP stack of Azure RTOS ThreadX) sample servers send "Server: NetX HTTP 5.3"; NetX runs only on ThreadX.',
  },
  {
    id: 'cpe-vxworks',
    when: [{ fact: 'cpe', matches: '^cpe:/o:windriver:vxworks(?::([\\d.]+))?' }],
    sets: { os: 'VxWorks', osVersion: '{1}' },
    confidence: 0.75,
    why: 'nmap probe matches for VxWorks services carry cpe:/o:windriver:vxworks.',
  },
  {
    id: 'ssh-dropbear',
    when: [{ fact: 'ssh.banner', matches: '^SSH-[\\d.]+-dropbear_([\\w.]+)' }],
    sets: { os: 'Linux', software: 'Dropbear SSH {1}' },
    confidence: 0.55,
    why: 'Dropbear, the small SSH server of embedded Linux (OpenWrt, BusyBox systems), sends "SSH-2.0-dropbear_2019.78".',
  },
  {
    id: 'http-server-busybox',
    when: [{ fact: 'http.server', matches: '^BusyBox httpd' }],
    sets: { os: 'Linux', software: 'BusyBox httpd' },
    confidence: 0.55,
    why: 'BusyBox httpd (embedded Linux) identifies itself in nmap probe matches.',
  },
  {
    id: 'http-server-rompager',
    when: [{ fact: 'http.server', matches: '\\bAllegro-Software-RomPager/([\\w.]+)' }],
    sets: { software: 'Allegro RomPager {1}' },
    confidence: 0.8,
    why: 'Allegro RomPager, an embedded web server in printers, modems and device controllers (nmap-service-probes).',
  },
  {
    id: 'http-server-emweb',
    when: [{ fact: 'http.server', matches: '\\b(?:Agranat|Virata)-EmWeb/R([\\d_]+)' }],
    sets: { software: 'EmWeb {1}' },
    confidence: 0.8,
    why: 'Agranat/Virata EmWeb embedded web server, version as R6_1_0 (nmap-service-probes).',
  },
  {
    id: 'http-server-goahead',
    when: [{ fact: 'http.server', matches: '^GoAhead-(?:Webs|http)(?:/([\\w.]+))?' }],
    sets: { software: 'GoAhead {1}' },
    confidence: 0.8,
    why: 'GoAhead embedded web server identifies as "GoAhead-Webs" or "GoAhead-http".',
  },
  {
    id: 'snmp-sysdescr-vxworks',
    when: [{ fact: 'snmp.sysDescr', matches: '\\bVxWorks\\b' }],
    sets: { os: 'VxWorks' },
    confidence: 0.75,
    why: 'VxWorks SNMP agents (WindManage) report VxWorks in sysDescr.',
  },
];
