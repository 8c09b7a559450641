/**
 * Vulnerability-matching benchmark (`npm run bench -- --only match`): a synthetic fleet built from the
 * real advisories' manufacturers and models (`fleet-generator.ts`), every shared CSAF advisory but one,
 * and N synthetic NVD/CVE 5 records, on SQLite in WAL mode (a file, as `vigil serve` uses it).
 *
 * Measures the full re-match (first run, which inserts every match, and a run that changes nothing),
 * the incremental match of one new advisory (import + scoped match) and of one new device, and a naive
 * nested loop (every device × every advisory product × every record, same rule functions, no grouping
 * and no vendor index) in the same run, timed on a sample of devices and extrapolated linearly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Actor } from '../src/accounts/actor.js';
import { importAdvisoryPaths, importBytes } from '../src/advisories/advisory-import.js';
import { writeVulnerabilityRecords } from '../src/advisories/knowledge-writer.js';
import { beginAdvisoryWrites, matchAdvisoryWrites } from '../src/advisories/pending-match.js';
import type { VulnerabilityRecord } from '../src/advisories/records.js';
import { importCmmsCsv } from '../src/inventory/cmms-import.js';
import { combineEvidence } from '../src/matching/combine.js';
import type { MatchEvidence, MatchSubject } from '../src/matching/match-types.js';
import { csafFacts, runMatch } from '../src/matching/matcher.js';
import { resolveManufacturer } from '../src/matching/names/names.js';
import { cnaEvidence } from '../src/matching/rules/affected-list.js';
import { type CsafProductFacts, csafEvidence } from '../src/matching/rules/csaf-product.js';
import { nvdDeviceEvidence } from '../src/matching/rules/nvd-cpe.js';
import { listQueuePage } from '../src/risk/queue-service.js';
import {
  advisoryProducts,
  advisoryStatuses,
  advisoryVulnerabilities,
  listAdvisories,
  recordsForKeys,
} from '../src/store/advisory-store.js';
import { openDatabase, type VigilDatabase } from '../src/store/database.js';
import { type DeviceForMatching, devicesForMatching } from '../src/store/match-store.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { syntheticMac } from './cmms-generator.js';
import {
  advisoryCatalog,
  cpeSample,
  generateFleet,
  generateRecords,
  jsonFilesUnder,
  prng,
} from './fleet-generator.js';

export interface MatchBenchOptions {
  root: string;
  work: string;
  actor: Actor;
  results: Record<string, unknown>;
  advisories?: string | undefined;
  nvdCpe?: string | undefined;
  devices: number;
  cves: number;
  /** Repetitions of the no-change full re-match. */
  fullRuns: number;
  /** Repetitions of each incremental measurement. */
  incrementalRuns: number;
  /** Time budget of the naive baseline's device sample. */
  naiveSeconds: number;
}

const TARGET_FULL_MS = 10_000;
const TARGET_INCREMENTAL_MS = 200;

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (n: number, d = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const int = (n: number) => n.toLocaleString('en-US');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const maxRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
const verdict = (v: number, target: number) => (v < target ? 'PASS' : 'MISS');

/** A CSAF document with its tracking version and dates moved forward, so importing it is an update. */
function bumpedCsaf(original: string, n: number): Buffer {
  const doc = JSON.parse(original) as {
    document: {
      tracking: {
        version: string;
        current_release_date: string;
        revision_history: { number: string; date: string; summary: string }[];
      };
    };
  };
  const t = doc.document.tracking;
  const numbers = t.revision_history.map((r) => r.number);
  const version = numbers.every((x) => /^\d+$/.test(x))
    ? String(Math.max(...numbers.map(Number)) + n)
    : `${Number(t.version.split('.')[0]) + n}.0.0`;
  const latest = Math.max(
    Date.parse(t.current_release_date),
    ...t.revision_history.map((r) => Date.parse(r.date)),
  );
  const date = new Date(latest + n * 86_400_000).toISOString();
  t.version = version;
  t.current_release_date = date;
  t.revision_history.push({ number: version, date, summary: `benchmark revision ${n}` });
  return Buffer.from(JSON.stringify(doc));
}

/** Every advisory product with its statuses, built as the matcher builds them. */
async function allCsafFacts(vdb: VigilDatabase): Promise<CsafProductFacts[]> {
  const [advisories, products, vulns, statuses] = await Promise.all([
    listAdvisories(vdb),
    advisoryProducts(vdb),
    advisoryVulnerabilities(vdb),
    advisoryStatuses(vdb),
  ]);
  return csafFacts({ advisories, products, vulns, statuses });
}

/** The naive matcher for one device: every advisory product and every record, one by one. */
function naiveDevice(
  d: DeviceForMatching,
  csaf: readonly CsafProductFacts[],
  records: readonly VulnerabilityRecord[],
): number {
  const s: MatchSubject = {
    key: d.id,
    manufacturer: d.manufacturer ? resolveManufacturer(d.manufacturer) : null,
    manufacturerName: d.manufacturer,
    model: d.model,
    modelNumber: d.modelNumber,
    firmwareVersion: d.firmwareVersion,
    softwareVersion: d.softwareVersion,
    deviceIds: [d.id],
    modelIds: d.modelId ? [d.modelId] : [],
  };
  const byVuln = new Map<string, MatchEvidence[]>();
  const add = (e: MatchEvidence) => {
    const list = byVuln.get(e.vulnKey);
    if (list) list.push(e);
    else byVuln.set(e.vulnKey, [e]);
  };
  for (const p of csaf) for (const e of csafEvidence(p, s)) add(e);
  for (const r of records) {
    const nvd = r.source === 'nvd' ? nvdDeviceEvidence(r, s) : null;
    if (nvd) add(nvd);
    const cna = r.source !== 'nvd' || r.affected.length ? cnaEvidence(r, s) : null;
    if (cna) add(cna);
  }
  let n = 0;
  for (const list of byVuln.values()) if (combineEvidence(list)) n++;
  return n;
}

export async function benchMatch(o: MatchBenchOptions): Promise<void> {
  const dir = resolve(o.root, o.advisories ?? '../shared/data/01-csaf-icsma');
  if (!existsSync(dir)) {
    console.log(
      `== vulnerability matching SKIPPED: the advisories folder ${dir} does not exist (give it with --advisories DIR)\n`,
    );
    o.results['match'] = { skipped: `advisories folder ${dir} not found` };
    return;
  }
  const nvdCpe = resolve(
    o.root,
    o.nvdCpe ?? join(dirname(dir), '03-nvd-cve-oracle/nvd-1.1-cpe-match-criteria.csv'),
  );
  const files = jsonFilesUnder(dir);
  console.log(
    `== vulnerability matching: ${int(o.devices)} devices, ${files.length} CSAF advisories, ${int(o.cves)} CVE records (SQLite, WAL)`,
  );
  const catalog = advisoryCatalog(files);
  // The newest advisory is held back and imported later as "one new advisory".
  const heldBack = files.at(-1)!;
  const fleet = generateFleet({ devices: o.devices, catalog, seed: 7 });
  const cpe = existsSync(nvdCpe)
    ? cpeSample(nvdCpe)
    : {
        products: [
          { part: 'a', vendor: 'openssl', product: 'openssl' },
          { part: 'a', vendor: 'apache', product: 'http_server' },
          { part: 'o', vendor: 'linux', product: 'linux_kernel' },
          { part: 'a', vendor: 'microsoft', product: 'internet_explorer' },
        ],
        platforms: ['cpe:2.3:o:microsoft:windows_10:*:*:*:*:*:*:*:*'],
      };
  if (!existsSync(nvdCpe)) console.log(`  (${nvdCpe} not found: CPE products from a built-in list of 4)`);
  console.log(
    `  fleet: ${int(catalog.length)} advisory models, ${int(fleet.fromAdvisories)} devices (${fmt((fleet.fromAdvisories / o.devices) * 100, 0)} %) from advisories, ${int(fleet.missingVersion)} without version; CVE products: ${int(cpe.products.length)} distinct CPE vendor:product pairs from ${nvdCpe.split('/').at(-1)}`,
  );

  const vdb = await openDatabase(`sqlite:${join(o.work, 'match.db')}`);
  const out: Record<string, unknown> = { devices: o.devices, cves: o.cves, advisories: files.length };
  o.results['match'] = out;
  try {
    await migrateToLatest(vdb);
    // ---- setup (timed, not a target) ----
    let t0 = process.hrtime.bigint();
    const inv = await importCmmsCsv(vdb, o.actor, { file: 'fleet.csv', input: fleet.csv });
    const fleetMs = ms(t0);
    t0 = process.hrtime.bigint();
    const adv = await importAdvisoryPaths(
      vdb,
      o.actor,
      files.filter((f) => f !== heldBack),
      { match: false },
    );
    const advMs = ms(t0);
    const advOk = adv.files.filter((f) => f.status !== 'rejected').length;
    let recordsMs = 0;
    let medicalRecords = 0;
    const batch = 10_000;
    const medicalCpeVendors = new Set(fleet.medical.map((m) => m.vendorKey.replace(/-/g, '_')));
    for (let start = 0; start < o.cves; start += batch) {
      const recs = generateRecords({
        start,
        count: Math.min(batch, o.cves - start),
        seed: 1000 + start,
        cpe,
        medical: fleet.medical,
      });
      medicalRecords += recs.filter((r) =>
        r.configurations.some((c) =>
          c.nodes.some((n) => n.cpeMatch.some((m) => medicalCpeVendors.has(m.criteria.split(':')[3] ?? ''))),
        ),
      ).length;
      t0 = process.hrtime.bigint();
      await writeVulnerabilityRecords(vdb, recs, { origin: 'bench-synthetic', sourceId: null });
      recordsMs += ms(t0);
    }
    console.log(
      `  setup: fleet import ${fmt(fleetMs / 1000, 1)} s (created ${int(inv.created)}, rejected ${inv.rejected}); ${advOk}/${adv.files.length} advisories ${fmt(advMs / 1000, 1)} s; ${int(o.cves)} records written in ${fmt(recordsMs / 1000, 1)} s (${fmt(o.cves / (recordsMs / 1000), 0)} records/s, ${int(medicalRecords)} NVD records name a fleet make)`,
    );
    Object.assign(out, {
      setup: { fleetImportMs: fleetMs, advisoryImportMs: advMs, recordsWriteMs: recordsMs, medicalRecords },
    });
    const rssBefore = maxRssMb();

    // ---- full re-match ----
    t0 = process.hrtime.bigint();
    const first = await runMatch(vdb, o.actor);
    const firstMs = ms(t0);
    const rssAfterFirst = maxRssMb();
    const again: number[] = [];
    let last = first;
    for (let i = 0; i < o.fullRuns; i++) {
      t0 = process.hrtime.bigint();
      last = await runMatch(vdb, o.actor);
      again.push(ms(t0));
    }
    const againMs = median(again);
    console.log(
      `  full re-match, first run   ${fmt(firstMs / 1000, 2).padStart(7)} s  ${int(first.devices)} devices → ${int(first.subjects)} subjects, ${int(first.vulnerabilitiesConsidered)} vulnerabilities considered, ${int(first.matches)} matches (added ${int(first.added)})`,
    );
    console.log(
      `  full re-match, no change   ${fmt(againMs / 1000, 2).padStart(7)} s  median of ${again.length} (${again.map((x) => fmt(x / 1000, 2)).join(', ')} s); added ${last.added}, changed ${last.changed}, removed ${last.removed}`,
    );
    console.log(
      `  peak RSS ${rssAfterFirst} MB after the first full re-match (${rssBefore} MB before it; RSS now ${rssMb()} MB)`,
    );
    Object.assign(out, {
      full: {
        firstMs,
        noChangeMedianMs: againMs,
        noChangeMs: again,
        subjects: first.subjects,
        matches: first.matches,
        considered: first.vulnerabilitiesConsidered,
        byStatus: first.byStatus,
      },
      peakRssMb: { beforeFullMatch: rssBefore, afterFirstFullMatch: rssAfterFirst },
    });

    // ---- incremental: one new advisory ----
    let current = readFileSync(heldBack, 'utf8');
    const advMatch: number[] = [];
    const advWhole: number[] = [];
    let advReport = '';
    const advStatuses = new Map<string, number>();
    for (let i = 0; i < o.incrementalRuns; i++) {
      // Later runs: the next revision (version + 1, one day later), so each import is an update.
      if (i > 0) current = bumpedCsaf(current, 1).toString();
      const bytes = Buffer.from(current);
      const w0 = process.hrtime.bigint();
      const writes = await beginAdvisoryWrites(vdb);
      const { report, vulnKeys } = await importBytes(vdb, bytes, heldBack, 'csaf', null);
      const m0 = process.hrtime.bigint();
      const m = await matchAdvisoryWrites(vdb, o.actor, writes, vulnKeys);
      advMatch.push(ms(m0));
      advWhole.push(ms(w0));
      const st = report.status === 'rejected' ? `rejected (${report.summary})` : report.status;
      advStatuses.set(st, (advStatuses.get(st) ?? 0) + 1);
      if (i === 0)
        advReport = `${report.status}: ${report.summary}; ${vulnKeys.length} vulnerabilities → ${m?.matches ?? 0} matches (added ${m?.added ?? 0})`;
    }
    console.log(
      `  one new advisory (${heldBack.split('/').at(-1)}): ${advReport}; runs: ${[...advStatuses].map(([k, v]) => `${v}× ${k}`).join(', ')}`,
    );
    console.log(
      `    match part   first ${fmt(advMatch[0]!, 0).padStart(6)} ms  median ${fmt(median(advMatch), 0).padStart(6)} ms over ${advMatch.length} (later runs re-import it as a new revision)`,
    );
    console.log(
      `    import+match first ${fmt(advWhole[0]!, 0).padStart(6)} ms  median ${fmt(median(advWhole), 0).padStart(6)} ms (read, CSAF validation, store, match)`,
    );

    // ---- incremental: one new device ----
    const devMatch: number[] = [];
    const devWhole: number[] = [];
    let devMatches = 0;
    const fleetLines = fleet.csv.trimEnd().split('\n');
    for (let i = 0; i < o.incrementalRuns; i++) {
      // A copy of an existing row (same make, model, version) under a new asset tag, serial, MAC and IP.
      const row = (parse(fleetLines[1 + ((i * 7919) % (fleetLines.length - 1))]!) as string[][])[0]!;
      const n = o.devices + 1 + i;
      const cells = [`MX-${String(n).padStart(7, '0')}`, `SNNEW${n}`, '', ...row.slice(3, 7)];
      cells.push(syntheticMac(2 * n), '', ...row.slice(9));
      const csv = `${fleetLines[0]}\n${cells.map((v) => (/[",]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v)).join(',')}\n`;
      const w0 = process.hrtime.bigint();
      const r = await importCmmsCsv(vdb, o.actor, { file: 'one-device.csv', input: csv });
      const id = r.devices[0]?.deviceId;
      if (!id) throw new Error(`one-device import failed: ${JSON.stringify(r.issues.slice(0, 2))}`);
      const m0 = process.hrtime.bigint();
      const m = await runMatch(vdb, o.actor, { deviceIds: [id] });
      devMatch.push(ms(m0));
      devWhole.push(ms(w0));
      devMatches += m.matches;
    }
    console.log(
      `  one new device: match part median ${fmt(median(devMatch), 0)} ms (first ${fmt(devMatch[0]!, 0)} ms); import+match median ${fmt(median(devWhole), 0)} ms; ${fmt(devMatches / devMatch.length, 1)} matches per device on average`,
    );
    Object.assign(out, {
      incrementalAdvisory: {
        file: heldBack,
        matchFirstMs: advMatch[0],
        matchMedianMs: median(advMatch),
        wholeFirstMs: advWhole[0],
        wholeMedianMs: median(advWhole),
        runs: advMatch.length,
      },
      incrementalDevice: {
        matchMedianMs: median(devMatch),
        wholeMedianMs: median(devWhole),
        runs: devMatch.length,
      },
    });

    // ---- naive nested loop ----
    t0 = process.hrtime.bigint();
    const devices = await devicesForMatching(vdb);
    const csaf = await allCsafFacts(vdb);
    const records = (await recordsForKeys(vdb)).map((r) => JSON.parse(r.record) as VulnerabilityRecord);
    const loadMs = ms(t0);
    const random = prng(99);
    const order = devices.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const sample: DeviceForMatching[] = [];
    let naiveMatches = 0;
    t0 = process.hrtime.bigint();
    for (const i of order) {
      const d = devices[i]!;
      naiveMatches += naiveDevice(d, csaf, records);
      sample.push(d);
      if (sample.length >= 3 && ms(t0) > o.naiveSeconds * 1000) break;
    }
    const loopMs = ms(t0);
    const perDevice = loopMs / sample.length;
    const full = sample.length === devices.length;
    const naiveMs = loadMs + perDevice * devices.length;
    // Vigil's stored matches for the same devices: both must agree.
    let vigilMatches = 0;
    for (let i = 0; i < sample.length; i += 500) {
      const ids = sample.slice(i, i + 500).map((d) => d.id);
      const r = await vdb.db
        .selectFrom('vulnerability_matches')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('device_id', 'in', ids)
        .executeTakeFirstOrThrow();
      vigilMatches += Number(r.n);
    }
    console.log(
      `  naive nested loop (per device × ${int(csaf.length)} advisory products × ${int(records.length)} records, same rules, no grouping, no vendor index):`,
    );
    console.log(
      `    load everything ${fmt(loadMs / 1000, 1)} s; ${int(sample.length)} of ${int(devices.length)} devices in ${fmt(loopMs / 1000, 1)} s = ${fmt(perDevice, 0)} ms per device`,
    );
    console.log(
      full
        ? `    whole fleet measured: ${fmt(naiveMs / 1000, 1)} s`
        : `    EXTRAPOLATED linearly from the ${int(sample.length)}-device sample to ${int(devices.length)} devices: ${fmt(naiveMs / 1000, 0)} s (${fmt(naiveMs / 3_600_000, 1)} h)`,
    );
    console.log(
      `    sample agreement: naive ${int(naiveMatches)} matches, Vigil ${int(vigilMatches)} stored for the same devices${naiveMatches === vigilMatches ? ' (identical)' : ' (DIFFERENT)'}`,
    );
    const ratioFirst = naiveMs / firstMs;
    const ratioAgain = naiveMs / againMs;
    console.log(
      `    → naive ÷ Vigil: ${fmt(ratioFirst, 0)}× the first full re-match, ${fmt(ratioAgain, 0)}× the no-change re-match (the naive loop writes nothing)`,
    );
    Object.assign(out, {
      naive: {
        loadMs,
        sampleDevices: sample.length,
        sampleMs: loopMs,
        perDeviceMs: perDevice,
        extrapolated: !full,
        estimatedMs: naiveMs,
        sampleMatches: naiveMatches,
        vigilSampleMatches: vigilMatches,
        ratioToFirstFullMatch: ratioFirst,
        ratioToNoChangeFullMatch: ratioAgain,
      },
      peakRssMbEnd: maxRssMb(),
    });

    // ---- the work queue on the matched fleet (issue 5): one page, as the dashboard and `vigil queue` ask ----
    // Every match and open finding is ranked for any page (SSVC inputs, environmental CVSS, due dates);
    // only the page is built whole. No reference tool ranks a queue, so this reports time only.
    const queueRuns: number[] = [];
    let queueTotal = 0;
    for (let i = 0; i < Math.max(1, o.fullRuns); i++) {
      t0 = process.hrtime.bigint();
      const page = await listQueuePage(vdb, o.actor, { limit: 50 });
      queueRuns.push(ms(t0));
      queueTotal = page.total;
    }
    console.log(
      `  work queue, first page of 50 ${fmt(median(queueRuns) / 1000, 2).padStart(5)} s  median of ${queueRuns.length} (${queueRuns.map((x) => fmt(x / 1000, 2)).join(', ')} s); ${int(queueTotal)} items ranked`,
    );
    Object.assign(out, {
      queue: { firstPageMedianMs: median(queueRuns), firstPageMs: queueRuns, items: queueTotal },
    });

    // ---- targets ----
    const incMs = median(advMatch);
    console.log(
      `  targets: full re-match < 10 s: first run ${fmt(firstMs / 1000, 2)} s ${verdict(firstMs, TARGET_FULL_MS)}, no-change ${fmt(againMs / 1000, 2)} s ${verdict(againMs, TARGET_FULL_MS)}; incremental advisory match < 200 ms: ${fmt(incMs, 0)} ms ${verdict(incMs, TARGET_INCREMENTAL_MS)} (import+match ${fmt(median(advWhole), 0)} ms ${verdict(median(advWhole), TARGET_INCREMENTAL_MS)}); new device ${fmt(median(devMatch), 0)} ms ${verdict(median(devMatch), TARGET_INCREMENTAL_MS)}`,
    );
    console.log(`  peak RSS of the process at the end: ${maxRssMb()} MB\n`);
    out['targets'] = {
      fullFirst: verdict(firstMs, TARGET_FULL_MS),
      fullNoChange: verdict(againMs, TARGET_FULL_MS),
      incrementalAdvisoryMatch: verdict(incMs, TARGET_INCREMENTAL_MS),
      incrementalAdvisoryWhole: verdict(median(advWhole), TARGET_INCREMENTAL_MS),
      incrementalDeviceMatch: verdict(median(devMatch), TARGET_INCREMENTAL_MS),
    };
  } finally {
    await vdb.close();
  }
}
