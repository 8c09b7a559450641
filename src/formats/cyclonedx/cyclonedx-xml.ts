/**
 * @module CycloneDX XML → the same JSON shape the JSON reader uses, so one mapper serves both. Parsed with
 * saxes (namespace-aware, no DTD or external entity processing). Only elements in a CycloneDX BOM
 * namespace are kept; the specVersion comes from the namespace URI. Each converted value remembers its
 * `line:column`, so issues point into the XML rather than at a JSON path the user never saw.
 * @see https://cyclonedx.org/docs/1.6/xml/
 */
import { SaxesParser } from 'saxes';
import type { InputIssue } from '../../advisories/records.js';
import { jsonPath } from '../csaf/csaf-document.js';
import type { Locate } from './cyclonedx-model.js';
import { errorText } from './identifiers.js';

const CDX_NS = /^http:\/\/cyclonedx\.org\/schema\/bom\/(1\.[0-9]+)$/;
/** Element nesting limit: real BOMs stay under ~20; this bounds memory and the converter's recursion. */
export const MAX_XML_DEPTH = 200;
/** Inputs above this are refused; the largest public BOMs are a few tens of MB. */
export const MAX_XML_CHARS = 64 * 1024 * 1024;

interface XNode {
  local: string;
  attrs: Map<string, string>;
  children: XNode[];
  text: string;
  at: string;
}

export interface XmlBom {
  /** The BOM in the JSON shape, or null when the XML could not be read. */
  json: Record<string, unknown> | null;
  locate: Locate;
  issues: InputIssue[];
}

function parseTree(
  xml: string,
  file: string,
): { root: XNode | null; specVersion: string; issues: InputIssue[] } {
  let specVersion = '';
  const issues: InputIssue[] = [];
  if (xml.length > MAX_XML_CHARS) {
    return {
      root: null,
      specVersion,
      issues: [{ file, where: 'line 1:1', message: `XML larger than ${MAX_XML_CHARS} characters; refused` }],
    };
  }
  const parser = new SaxesParser({ xmlns: true, position: true });
  const at = () => `line ${parser.line}:${parser.column}`;
  const stack: XNode[] = [];
  let root: XNode | null = null;
  let foreignDepth = 0; // >0 while inside an element from another namespace (extensions: skipped)
  parser.on('error', (e) => {
    issues.push({ file, where: at(), message: `XML not well-formed: ${e.message}` });
    // saxes would carry on after an error; a broken document is not read any further.
    throw e;
  });
  parser.on('opentag', (tag) => {
    const depth = stack.length + foreignDepth;
    if (depth >= MAX_XML_DEPTH) {
      issues.push({
        file,
        where: at(),
        message: `XML elements nested deeper than ${MAX_XML_DEPTH}; refused`,
      });
      throw new Error('too deep');
    }
    const ns = CDX_NS.exec(tag.uri ?? '');
    if (foreignDepth > 0 || !ns) {
      foreignDepth++;
      return;
    }
    const attrs = new Map<string, string>();
    for (const a of Object.values(tag.attributes)) {
      if (typeof a === 'object' && a !== null && a.uri === '') attrs.set(a.local, a.value);
    }
    const node: XNode = { local: tag.local ?? tag.name, attrs, children: [], text: '', at: at() };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else {
      root = node;
      specVersion = ns[1] ?? '';
    }
    stack.push(node);
  });
  const onText = (t: string) => {
    const top = stack[stack.length - 1];
    if (top && foreignDepth === 0) top.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    if (foreignDepth > 0) foreignDepth--;
    else stack.pop();
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    if (issues.length === 0)
      issues.push({ file, where: at(), message: `XML not readable: ${errorText(err)}` });
    return { root: null, specVersion, issues };
  }
  return { root, specVersion, issues };
}

const child = (n: XNode, local: string) => n.children.find((c) => c.local === local);
const children = (n: XNode | undefined, local: string) =>
  n ? n.children.filter((c) => c.local === local) : [];

/**
 * Converts the element tree into the JSON BOM shape, recording where each JSON path came from.
 * Recursion depth is bounded by MAX_XML_DEPTH.
 */
function convert(root: XNode, specVersion: string, where: Map<string, string>): Record<string, unknown> {
  const mark = (path: (string | number)[], n: XNode) => where.set(jsonPath(path), n.at);
  const text = (
    n: XNode,
    local: string,
    path: (string | number)[],
    out: Record<string, unknown>,
    key = local,
  ) => {
    const c = child(n, local);
    if (c) {
      out[key] = c.text.trim();
      mark([...path, key], c);
    }
  };
  const org = (n: XNode, local: string, path: (string | number)[], out: Record<string, unknown>) => {
    const c = child(n, local);
    if (!c) return;
    const o: Record<string, unknown> = {};
    mark([...path, local], c);
    text(c, 'name', [...path, local], o);
    out[local] = o;
  };
  const component = (n: XNode, path: (string | number)[]): Record<string, unknown> => {
    mark(path, n);
    const o: Record<string, unknown> = {};
    const ref = n.attrs.get('bom-ref');
    if (ref !== undefined) o['bom-ref'] = ref;
    const type = n.attrs.get('type');
    if (type !== undefined) o.type = type;
    for (const k of ['name', 'group', 'version', 'purl', 'cpe']) text(n, k, path, o);
    org(n, 'supplier', path, o);
    org(n, 'manufacturer', path, o);
    const nested = children(child(n, 'components'), 'component');
    if (nested.length > 0) o.components = nested.map((c, i) => component(c, [...path, 'components', i]));
    return o;
  };

  const bom: Record<string, unknown> = { bomFormat: 'CycloneDX', specVersion };
  mark([], root);
  const serial = root.attrs.get('serialNumber');
  if (serial !== undefined) bom.serialNumber = serial;
  const version = root.attrs.get('version');
  if (version !== undefined && /^[0-9]+$/.test(version)) bom.version = Number(version);

  const meta = child(root, 'metadata');
  if (meta) {
    const m: Record<string, unknown> = {};
    mark(['metadata'], meta);
    text(meta, 'timestamp', ['metadata'], m);
    const mc = child(meta, 'component');
    if (mc) m.component = component(mc, ['metadata', 'component']);
    const authors = children(child(meta, 'authors'), 'author');
    if (authors.length > 0) {
      m.authors = authors.map((a, i) => {
        const o: Record<string, unknown> = {};
        text(a, 'name', ['metadata', 'authors', i], o);
        return o;
      });
    }
    for (const k of ['supplier', 'manufacture', 'manufacturer']) org(meta, k, ['metadata'], m);
    bom.metadata = m;
  }
  const comps = child(root, 'components');
  if (comps) {
    bom.components = children(comps, 'component').map((c, i) => component(c, ['components', i]));
  }
  const deps = child(root, 'dependencies');
  if (deps) {
    bom.dependencies = children(deps, 'dependency').map((d, i) => {
      mark(['dependencies', i], d);
      const o: Record<string, unknown> = {};
      const ref = d.attrs.get('ref');
      if (ref !== undefined) o.ref = ref;
      const on = children(d, 'dependency')
        .map((x) => x.attrs.get('ref'))
        .filter((x): x is string => x !== undefined);
      if (on.length > 0) o.dependsOn = on;
      return o;
    });
  }
  const vulns = child(root, 'vulnerabilities');
  if (vulns) {
    bom.vulnerabilities = children(vulns, 'vulnerability').map((v, i) => {
      const path = ['vulnerabilities', i];
      mark(path, v);
      const o: Record<string, unknown> = {};
      const ref = v.attrs.get('bom-ref');
      if (ref !== undefined) o['bom-ref'] = ref;
      for (const k of ['id', 'published', 'updated', 'recommendation', 'workaround']) text(v, k, path, o);
      const refs = children(child(v, 'references'), 'reference');
      if (refs.length > 0) {
        o.references = refs.map((r, j) => {
          const x: Record<string, unknown> = {};
          text(r, 'id', [...path, 'references', j], x);
          return x;
        });
      }
      const an = child(v, 'analysis');
      if (an) {
        const a: Record<string, unknown> = {};
        mark([...path, 'analysis'], an);
        for (const k of ['state', 'justification', 'detail', 'firstIssued', 'lastUpdated']) {
          text(an, k, [...path, 'analysis'], a);
        }
        const responses = children(child(an, 'responses'), 'response');
        if (responses.length > 0) a.response = responses.map((r) => r.text.trim());
        o.analysis = a;
      }
      const targets = children(child(v, 'affects'), 'target');
      if (targets.length > 0) {
        o.affects = targets.map((t, j) => {
          const x: Record<string, unknown> = {};
          text(t, 'ref', [...path, 'affects', j], x);
          return x;
        });
      }
      return o;
    });
  }
  return bom;
}

/** Reads CycloneDX XML into the JSON BOM shape. Never throws. */
export function cycloneDxXmlToJson(xml: string, file: string): XmlBom {
  const where = new Map<string, string>();
  const locate: Locate = (path) => {
    // The nearest converted ancestor: a missing `name` is reported at its component element.
    for (let n = path.length; n >= 0; n--) {
      const hit = where.get(jsonPath(path.slice(0, n)));
      if (hit) return hit;
    }
    return 'line 1:1';
  };
  try {
    const { root, specVersion, issues } = parseTree(xml, file);
    if (!root) {
      if (issues.length === 0)
        issues.push({
          file,
          where: 'line 1:1',
          message: 'no CycloneDX <bom> element (namespace http://cyclonedx.org/schema/bom/1.x)',
        });
      return { json: null, locate, issues };
    }
    if (root.local !== 'bom') {
      return {
        json: null,
        locate,
        issues: [
          ...issues,
          { file, where: root.at, message: `root element is <${root.local}>, not a CycloneDX <bom>` },
        ],
      };
    }
    return { json: convert(root, specVersion, where), locate, issues };
  } catch (err) {
    return {
      json: null,
      locate,
      issues: [{ file, where: 'line 1:1', message: `XML not readable: ${errorText(err)}` }],
    };
  }
}
