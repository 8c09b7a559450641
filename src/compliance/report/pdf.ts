/**
 * @module The report as PDF, made on the server with pdfkit: the same content as the HTML page
 * (summary, charts drawn as vectors from the same chart model, the control table, evidence, overdue
 * updates, training by department, security officers, manufacturers). Standard PDF fonts only
 * (Helvetica, WinAnsi): text is mapped to characters they have, so `pdftotext` reads back what was written.
 */
import { plural } from '../../format-count.js';
import type { ComplianceReport, ComplianceStatus } from '../evaluate.js';
import { type Chart, COLORS, chartGeometry, type PlotBox, reportCharts } from './charts.js';
import { STATUS_LABEL } from './html.js';
import { REPORT_NOTICE } from './notice.js';

type Doc = PDFKit.PDFDocument;

const MARGIN = 40;
const STATUS_COLOR: Record<ComplianceStatus, string> = {
  met: COLORS.ok,
  partial: COLORS.warn,
  'not-met': COLORS.bad,
  'no-evidence': COLORS.grey,
};

/**
 * Characters outside WinAnsi replaced by ASCII equivalents (Helvetica cannot draw them); line breaks are
 * kept, pdfkit breaks the line there (the evidence table lists each named gap on a line of its own).
 */
export function pdfText(v: unknown): string {
  const s = v === null || v === undefined ? '-' : String(v);
  return s
    .replace(/≤/g, '<=')
    .replace(/≥/g, '>=')
    .replace(/→/g, '->')
    .replace(/[^\n\x20-\x7e\u00a0-\u00ff\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026\u20ac]/g, '?');
}

interface Column {
  header: string;
  width: number;
  cell: (i: number) => { text: string; color?: string };
}

function ensureSpace(doc: Doc, height: number): void {
  if (doc.y + height > doc.page.height - MARGIN) doc.addPage();
}

/** A heading kept on the page of what follows it (`keep` points of it). */
function heading(doc: Doc, text: string, size = 14, keep = 60): void {
  ensureSpace(doc, size * 3 + keep);
  doc.moveDown(0.6).font('Helvetica-Bold').fontSize(size).fillColor('#000').text(pdfText(text), MARGIN);
  doc.moveDown(0.3);
}

function drawTable(doc: Doc, columns: Column[], rows: number, size = 8): void {
  const pad = 3;
  const headerRow = () => {
    const h =
      Math.max(
        ...columns.map((c) =>
          doc
            .font('Helvetica-Bold')
            .fontSize(size)
            .heightOfString(c.header, { width: c.width - 2 * pad }),
        ),
      ) +
      2 * pad;
    ensureSpace(doc, h + 20);
    let x = MARGIN;
    const y = doc.y;
    for (const c of columns) {
      doc.rect(x, y, c.width, h).fillAndStroke('#eeeeee', '#999999');
      doc
        .fillColor('#000')
        .font('Helvetica-Bold')
        .fontSize(size)
        .text(c.header, x + pad, y + pad, { width: c.width - 2 * pad });
      x += c.width;
    }
    doc.y = y + h;
  };
  if (rows === 0) {
    doc.font('Helvetica').fontSize(size).fillColor('#555').text('None.', MARGIN);
    return;
  }
  headerRow();
  for (let i = 0; i < rows; i++) {
    const cells = columns.map((c) => c.cell(i));
    doc.font('Helvetica').fontSize(size);
    const h =
      Math.max(
        ...cells.map((cell, k) =>
          doc.heightOfString(pdfText(cell.text), { width: columns[k]!.width - 2 * pad }),
        ),
      ) +
      2 * pad;
    if (doc.y + h > doc.page.height - MARGIN) {
      doc.addPage();
      headerRow();
    }
    let x = MARGIN;
    const y = doc.y;
    cells.forEach((cell, k) => {
      const w = columns[k]!.width;
      doc.rect(x, y, w, h).stroke('#bbbbbb');
      doc
        .fillColor(cell.color ?? '#000')
        .font(cell.color ? 'Helvetica-Bold' : 'Helvetica')
        .fontSize(size)
        .text(pdfText(cell.text), x + pad, y + pad, { width: w - 2 * pad });
      x += w;
    });
    doc.fillColor('#000');
    doc.y = y + h;
  }
  doc.x = MARGIN;
}

function drawChart(doc: Doc, c: Chart): void {
  const height = 200;
  ensureSpace(doc, height + 10);
  const top = doc.y;
  doc.font('Helvetica-Bold').fontSize(10).fillColor('#000').text(pdfText(c.title), MARGIN, top);
  if (c.empty) {
    doc
      .font('Helvetica')
      .fontSize(9)
      .fillColor('#555')
      .text(pdfText(c.empty), MARGIN, top + 18);
    doc.y = top + 40;
    return;
  }
  const box: PlotBox = { x: MARGIN + 34, y: top + 20, w: doc.page.width - 2 * MARGIN - 40, h: 130 };
  const g = chartGeometry(c, box);
  doc.lineWidth(0.5);
  for (const t of [0, 0.5, 1]) {
    const v = g.yMax * t;
    const y = g.yOf(v);
    doc
      .moveTo(box.x, y)
      .lineTo(box.x + box.w, y)
      .stroke('#dddddd');
    doc
      .font('Helvetica')
      .fontSize(7)
      .fillColor('#000')
      .text(String(Math.round(v * 10) / 10), MARGIN, y - 3, { width: 30, align: 'right' });
  }
  c.series.forEach((s, si) => {
    if (c.kind === 'bars') {
      s.values.forEach((v, i) => {
        const y = g.yOf(v);
        doc.rect(g.barX(i, si), y, g.barWidth, box.y + box.h - y).fill(s.color);
      });
    } else {
      s.values.forEach((v, i) => {
        if (i === 0) doc.moveTo(g.xOf(i), g.yOf(v));
        else doc.lineTo(g.xOf(i), g.yOf(v));
      });
      doc.lineWidth(1.5).stroke(s.color);
      doc.lineWidth(0.5);
    }
  });
  if (c.target) {
    const y = g.yOf(c.target.value);
    doc
      .dash(3, { space: 2 })
      .moveTo(box.x, y)
      .lineTo(box.x + box.w, y)
      .stroke(COLORS.bad)
      .undash();
  }
  const every = Math.ceil(c.categories.length / 12);
  doc.font('Helvetica').fontSize(6).fillColor('#000');
  c.categories.forEach((cat, i) => {
    if (i % every) return;
    doc.text(
      pdfText(cat.length > 16 ? `${cat.slice(0, 15)}...` : cat),
      g.xOf(i) - g.step / 2,
      box.y + box.h + 3,
      {
        width: Math.max(g.step, 40),
        align: 'center',
        lineBreak: false,
      },
    );
  });
  let lx = box.x;
  const ly = box.y + box.h + 16;
  for (const s of c.series) {
    doc.rect(lx, ly, 7, 7).fill(s.color);
    doc
      .fillColor('#000')
      .fontSize(7)
      .text(pdfText(s.name), lx + 10, ly, { lineBreak: false });
    lx += 110;
  }
  doc.fillColor('#000');
  doc.y = top + height;
  doc.x = MARGIN;
}

/** Renders the report; resolves with the PDF bytes. */
export async function reportPdf(r: ComplianceReport): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: 'Vigil compliance report', Creator: 'Vigil', CreationDate: new Date(r.generatedAt) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 2 * MARGIN;
  const s = r.summary;
  const scope = r.site ? `site ${r.site.name}` : 'every site';

  doc.font('Helvetica-Bold').fontSize(18).text('Medical device security: compliance report');
  doc
    .font('Helvetica')
    .fontSize(9)
    .fillColor('#555')
    .text(pdfText(`Generated ${r.generatedAt} for ${scope} by Vigil. ${REPORT_NOTICE}`));
  doc.fillColor('#000');
  heading(doc, 'Executive summary');
  doc.font('Helvetica').fontSize(10);
  const line = (label: string, value: string) => {
    doc
      .font('Helvetica-Bold')
      .text(`${pdfText(label)}: `, { continued: true })
      .font('Helvetica')
      .text(pdfText(value));
  };
  line(
    'Controls',
    `${s.counts.met} met, ${s.counts.partial} partial, ${s.counts['not-met']} not met, ${s.counts['no-evidence']} no evidence`,
  );
  line(
    'Security officer',
    s.officer ? `${STATUS_LABEL[s.officer.status]} - ${s.officer.reason}` : 'not evaluated',
  );
  line(
    'Training',
    s.training && s.training.rate !== null
      ? `${Math.round(s.training.rate * 1000) / 10}% current${s.training.target ? ` (target ${Math.round(s.training.target * 1000) / 10}%)` : ''}`
      : 'no figures',
  );
  line('Overdue updates', String(s.overdueUpdates));
  line(
    'Median time to patch',
    s.medianTimeToPatchDays === null ? 'no task patched yet' : `${plural(s.medianTimeToPatchDays, 'day')}`,
  );
  doc.moveDown(0.5);
  drawTable(
    doc,
    [
      { header: 'Framework', width: width - 5 * 55, cell: (i) => ({ text: r.frameworks[i]!.title }) },
      { header: 'Controls', width: 55, cell: (i) => ({ text: String(r.frameworks[i]!.controls) }) },
      { header: 'Met', width: 55, cell: (i) => ({ text: String(r.frameworks[i]!.counts.met) }) },
      { header: 'Partial', width: 55, cell: (i) => ({ text: String(r.frameworks[i]!.counts.partial) }) },
      { header: 'Not met', width: 55, cell: (i) => ({ text: String(r.frameworks[i]!.counts['not-met']) }) },
      {
        header: 'No evidence',
        width: 55,
        cell: (i) => ({ text: String(r.frameworks[i]!.counts['no-evidence']) }),
      },
    ],
    r.frameworks.length,
    9,
  );
  heading(doc, 'Top gaps', 12);
  drawTable(
    doc,
    [
      {
        header: 'Control',
        width: 150,
        cell: (i) => ({ text: `${s.topGaps[i]!.ref} ${s.topGaps[i]!.title}` }),
      },
      {
        header: 'Status',
        width: 60,
        cell: (i) => ({
          text: STATUS_LABEL[s.topGaps[i]!.status],
          color: STATUS_COLOR[s.topGaps[i]!.status],
        }),
      },
      { header: 'Why', width: width - 210, cell: (i) => ({ text: s.topGaps[i]!.reason }) },
    ],
    s.topGaps.length,
  );

  heading(doc, 'Charts', 14, 200);
  for (const c of reportCharts(r)) drawChart(doc, c);

  heading(doc, 'Control table');
  for (const f of r.frameworks) {
    heading(doc, f.title, 11);
    const rows = r.controls.filter((c) => c.framework === f.id);
    drawTable(
      doc,
      [
        { header: 'Ref', width: 95, cell: (i) => ({ text: rows[i]!.ref }) },
        { header: 'Control', width: 130, cell: (i) => ({ text: rows[i]!.title }) },
        {
          header: 'Status',
          width: 55,
          cell: (i) => ({ text: STATUS_LABEL[rows[i]!.status], color: STATUS_COLOR[rows[i]!.status] }),
        },
        { header: 'Why', width: width - 280, cell: (i) => ({ text: rows[i]!.reason }) },
      ],
      rows.length,
    );
  }

  heading(doc, 'Evidence');
  drawTable(
    doc,
    [
      { header: 'Evidence', width: 95, cell: (i) => ({ text: r.evidence[i]!.title }) },
      {
        header: 'Status',
        width: 55,
        cell: (i) => ({
          text: STATUS_LABEL[r.evidence[i]!.status],
          color: STATUS_COLOR[r.evidence[i]!.status],
        }),
      },
      { header: 'Age (days)', width: 45, cell: (i) => ({ text: String(r.evidence[i]!.ageDays ?? '-') }) },
      {
        header: 'Why / named gaps',
        width: width - 195,
        cell: (i) => {
          const e = r.evidence[i]!;
          const gaps = e.gaps.slice(0, 8).map((g) => `\n- ${g}`);
          return {
            text: `${e.reason}${gaps.join('')}${e.gaps.length > 8 ? `\n... and ${e.gaps.length - 8} more` : ''}`,
          };
        },
      },
    ],
    r.evidence.length,
  );

  heading(doc, 'Overdue updates');
  const od = r.tables.overdueTasks;
  drawTable(
    doc,
    [
      { header: 'Device', width: 110, cell: (i) => ({ text: od[i]!.deviceLabel }) },
      { header: 'Site', width: 80, cell: (i) => ({ text: od[i]!.site ?? '-' }) },
      { header: 'Task', width: width - 320, cell: (i) => ({ text: od[i]!.title }) },
      { header: 'Due', width: 70, cell: (i) => ({ text: od[i]!.dueAt.slice(0, 10) }) },
      { header: 'Days overdue', width: 60, cell: (i) => ({ text: String(od[i]!.daysOverdue) }) },
    ],
    od.length,
  );

  heading(doc, 'Training by department');
  const tr = r.tables.trainingByDepartment;
  drawTable(
    doc,
    [
      { header: 'Site', width: 110, cell: (i) => ({ text: tr[i]!.siteName ?? '-' }) },
      { header: 'Department', width: width - 390, cell: (i) => ({ text: tr[i]!.department ?? '-' }) },
      { header: 'Required', width: 60, cell: (i) => ({ text: String(tr[i]!.required) }) },
      { header: 'Current', width: 60, cell: (i) => ({ text: String(tr[i]!.current) }) },
      { header: 'Rate', width: 60, cell: (i) => ({ text: `${Math.round(tr[i]!.rate * 1000) / 10}%` }) },
      {
        header: 'Below target',
        width: 100,
        cell: (i) => (tr[i]!.belowTarget ? { text: 'yes', color: COLORS.bad } : { text: 'no' }),
      },
    ],
    tr.length,
  );

  heading(doc, 'Security officers');
  const orgOfficer = r.evidence.find((e) => e.kind === 'security-officer')?.figures['organizationOfficer'];
  // The organization's deputies after its officer, marked as such (as in the HTML page).
  const orgDeputies = (r.tables.organizationOfficers?.deputies ?? []).map((d) => `; ${d} (deputy)`);
  if (orgOfficer !== undefined)
    line(
      'Organization',
      `${typeof orgOfficer === 'string' ? orgOfficer : 'no security officer in term'}${orgDeputies.join('')}`,
    );
  doc.moveDown(0.3);
  const of = r.tables.officersBySite;
  drawTable(
    doc,
    [
      { header: 'Site', width: 160, cell: (i) => ({ text: of[i]!.siteName }) },
      {
        header: 'Officer',
        width: 150,
        cell: (i) => (of[i]!.primary ? { text: of[i]!.primary! } : { text: 'none', color: COLORS.bad }),
      },
      { header: 'Deputies', width: width - 310, cell: (i) => ({ text: of[i]!.deputies.join(', ') || '-' }) },
    ],
    of.length,
  );

  heading(doc, 'Manufacturers');
  const mf = r.tables.manufacturers;
  drawTable(
    doc,
    [
      { header: 'Manufacturer', width: width - 385, cell: (i) => ({ text: mf[i]!.name }) },
      { header: 'Devices', width: 45, cell: (i) => ({ text: String(mf[i]!.activeDevices) }) },
      {
        header: 'Subscribed',
        width: 55,
        cell: (i) => (mf[i]!.subscribed ? { text: 'yes' } : { text: 'no', color: COLORS.bad }),
      },
      {
        header: 'Last sync',
        width: 85,
        cell: (i) => ({
          text: `${mf[i]!.lastSyncAt?.slice(0, 10) ?? '-'}${mf[i]!.lastSyncError ? ` (error: ${mf[i]!.lastSyncError})` : ''}`,
        }),
      },
      { header: 'PSIRT contact', width: 50, cell: (i) => ({ text: mf[i]!.psirtContact ? 'yes' : 'no' }) },
      { header: 'Models without MDS2', width: 50, cell: (i) => ({ text: String(mf[i]!.modelsWithoutMds2) }) },
      { header: 'Without SBOM', width: 50, cell: (i) => ({ text: String(mf[i]!.modelsWithoutSbom) }) },
      { header: 'Overdue requests', width: 50, cell: (i) => ({ text: String(mf[i]!.overdueRequests) }) },
    ],
    mf.length,
  );
  doc.end();
  return done;
}
