/**
 * The HTTP service's product and version from the `Server` header, on shared capture 06 (Python 3.11
 * http.server on 10.20.0.30:80, PROVENANCE.md) and with the project's nmap scan of the same LAN
 * (test/fixtures/nmap/sgh-medical-lan.xml: `SimpleHTTPServer` `0.6`), imported in either order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { showDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { applySourceResult } from './apply-source-result.js';
import { analyzeCapture } from './capture-analyzer.js';
import { parseNmapXml } from './nmap-xml.js';

const fixture = (path: string) => join(import.meta.dirname, '../../test/fixtures', path);
const CAPTURE = fixture('captures/06-http-tls.pcapng');
const SCAN = fixture('nmap/sgh-medical-lan.xml');

describe('HTTP Server header in a capture', () => {
  it('06: SimpleHTTP 0.6 on 10.20.0.30:80; the whole header stays the http.server hint', async () => {
    const r = await analyzeCapture(CAPTURE, { file: '06-http-tls.pcapng' });
    const web = r.hosts.find((h) => h.ips.includes('10.20.0.30'))!;
    const http = web.services.find((s) => s.port === 80)!;
    expect(http).toMatchObject({ protocol: 'http', product: 'SimpleHTTP', version: '0.6' });
    expect(web.hints.filter((h) => h.kind === 'http.server').map((h) => h.value)).toEqual([
      'SimpleHTTP/0.6 Python/3.11.2',
    ]);
  });
});

describe.each(DIALECTS)('with the nmap scan on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  const scan = async () =>
    applySourceResult(vdb, cliActor, parseNmapXml(readFileSync(SCAN), { file: 'sgh-medical-lan.xml' }), {
      kind: 'nmap',
      file: 'sgh-medical-lan.xml',
    });
  const http80 = async () =>
    (await showDevice(vdb, cliActor, '10.20.0.30')).services.find((s) => s.port === 80);

  it('capture then scan, or scan then capture: the version 0.6 is kept', async () => {
    vdb = await freshDatabase(dialect);
    await importCaptureFile(vdb, CAPTURE);
    await scan();
    expect(await http80()).toMatchObject({ product: 'SimpleHTTPServer', version: '0.6' });
    await vdb.close();

    vdb = await freshDatabase(dialect);
    await scan();
    await importCaptureFile(vdb, CAPTURE);
    expect(await http80()).toMatchObject({ product: 'SimpleHTTP', version: '0.6' });
  });
});
