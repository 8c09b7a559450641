/**
 * @module What Vigil knows about vulnerabilities and which devices they hit: feed sources (and the
 * manufacturer subscriptions among them), CSAF advisories with their flattened products and per-product
 * status, vulnerability records from NVD/CVE 5/OSV, KEV and EPSS enrichment, SBOMs, VEX statements,
 * the matches per (device, vulnerability) and the decisions people made on candidates.
 */
import type { Kysely } from 'kysely';

const text = 'text' as const;
const integer = 'integer' as const;
const real = 'double precision' as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('feed_sources')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('kind', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('name_key', text, (c) => c.notNull().unique())
    .addColumn('url', text)
    .addColumn('manufacturer', text)
    .addColumn('enabled', integer, (c) => c.notNull())
    .addColumn('require_signature', integer, (c) => c.notNull())
    .addColumn('expected_interval_hours', integer, (c) => c.notNull())
    .addColumn('state', text, (c) => c.notNull())
    .addColumn('last_attempt_at', text)
    .addColumn('last_success_at', text)
    .addColumn('last_error', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('advisories')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('tracking_id', text, (c) => c.notNull().unique())
    .addColumn('title', text, (c) => c.notNull())
    .addColumn('publisher', text, (c) => c.notNull())
    .addColumn('category', text, (c) => c.notNull())
    .addColumn('version', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('initial_release', text, (c) => c.notNull())
    .addColumn('current_release', text, (c) => c.notNull())
    .addColumn('source_id', text, (c) => c.references('feed_sources.id'))
    .addColumn('origin', text, (c) => c.notNull())
    .addColumn('sha256', text, (c) => c.notNull())
    .addColumn('fetched_at', text, (c) => c.notNull())
    .addColumn('refs', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('advisory_products')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('advisory_id', text, (c) => c.notNull().references('advisories.id').onDelete('cascade'))
    .addColumn('product_id', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('vendor', text)
    .addColumn('vendor_key', text)
    .addColumn('family', text)
    .addColumn('product_name', text)
    .addColumn('version', text)
    .addColumn('version_range', text)
    .addColumn('helpers', text)
    .addColumn('relationship', text)
    .addColumn('path', text, (c) => c.notNull())
    .addUniqueConstraint('advisory_products_advisory_product', ['advisory_id', 'product_id'])
    .execute();
  await db.schema
    .createIndex('advisory_products_vendor')
    .on('advisory_products')
    .column('vendor_key')
    .execute();

  await db.schema
    .createTable('advisory_vulnerabilities')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('advisory_id', text, (c) => c.notNull().references('advisories.id').onDelete('cascade'))
    .addColumn('vuln_key', text, (c) => c.notNull())
    .addColumn('cve', text)
    .addColumn('title', text)
    .addColumn('cwe', text)
    .addColumn('ssvc', text)
    .addColumn('scores', text, (c) => c.notNull())
    .addColumn('path', text, (c) => c.notNull())
    .addUniqueConstraint('advisory_vulnerabilities_key', ['advisory_id', 'vuln_key'])
    .execute();
  await db.schema
    .createIndex('advisory_vulnerabilities_vuln')
    .on('advisory_vulnerabilities')
    .column('vuln_key')
    .execute();

  await db.schema
    .createTable('advisory_statuses')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('advisory_id', text, (c) => c.notNull().references('advisories.id').onDelete('cascade'))
    .addColumn('vuln_key', text, (c) => c.notNull())
    .addColumn('product_id', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('remediations', text, (c) => c.notNull())
    .addUniqueConstraint('advisory_statuses_key', ['advisory_id', 'vuln_key', 'product_id'])
    .execute();

  await db.schema
    .createTable('vulnerabilities')
    .addColumn('vuln_key', text, (c) => c.primaryKey())
    .addColumn('cve', text)
    .addColumn('title', text)
    .addColumn('description', text)
    .addColumn('cvss_score', real)
    .addColumn('cvss_vector', text)
    .addColumn('cvss_version', text)
    .addColumn('severity', text)
    .addColumn('cwes', text, (c) => c.notNull())
    .addColumn('published', text)
    .addColumn('modified', text)
    .addColumn('created_at', text, (c) => c.notNull())
    .addColumn('updated_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('vulnerability_records')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('vuln_key', text, (c) => c.notNull())
    .addColumn('source', text, (c) => c.notNull())
    .addColumn('record', text, (c) => c.notNull())
    .addColumn('modified', text)
    .addColumn('source_id', text, (c) => c.references('feed_sources.id'))
    .addColumn('origin', text, (c) => c.notNull())
    .addColumn('fetched_at', text, (c) => c.notNull())
    .addUniqueConstraint('vulnerability_records_key_source', ['vuln_key', 'source'])
    .execute();

  // Lookup keys for the matcher (`m:<manufacturer key>`, `c:<cpe vendor>:<cpe product>`, `p:<purl package>`),
  // so a match over 200k records reads only those that can concern the hospital's devices.
  await db.schema
    .createTable('vulnerability_index')
    .addColumn('record_id', text, (c) =>
      c.notNull().references('vulnerability_records.id').onDelete('cascade'),
    )
    .addColumn('key', text, (c) => c.notNull())
    .addPrimaryKeyConstraint('vulnerability_index_pk', ['key', 'record_id'])
    .execute();
  await db.schema
    .createIndex('vulnerability_index_record')
    .on('vulnerability_index')
    .column('record_id')
    .execute();

  await db.schema
    .createTable('kev_entries')
    .addColumn('cve', text, (c) => c.primaryKey())
    .addColumn('vendor', text, (c) => c.notNull())
    .addColumn('product', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('date_added', text, (c) => c.notNull())
    .addColumn('due_date', text)
    .addColumn('ransomware', text, (c) => c.notNull())
    .addColumn('required_action', text, (c) => c.notNull())
    .addColumn('notes', text, (c) => c.notNull())
    .addColumn('catalog_version', text, (c) => c.notNull())
    .addColumn('source_id', text, (c) => c.references('feed_sources.id'))
    .addColumn('fetched_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('epss_scores')
    .addColumn('cve', text, (c) => c.primaryKey())
    .addColumn('epss', real, (c) => c.notNull())
    .addColumn('percentile', real, (c) => c.notNull())
    .addColumn('score_date', text)
    .addColumn('model_version', text)
    .addColumn('source_id', text, (c) => c.references('feed_sources.id'))
    .addColumn('fetched_at', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sboms')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('model_id', text, (c) => c.notNull().references('device_models.id'))
    .addColumn('software_version', text)
    .addColumn('format', text, (c) => c.notNull())
    .addColumn('spec_version', text, (c) => c.notNull())
    .addColumn('serial_number', text)
    .addColumn('subject', text)
    .addColumn('file', text, (c) => c.notNull())
    .addColumn('sha256', text, (c) => c.notNull())
    .addColumn('component_count', integer, (c) => c.notNull())
    .addColumn('imported_by', text, (c) => c.notNull())
    .addColumn('imported_at', text, (c) => c.notNull())
    .addUniqueConstraint('sboms_model_version_sha', ['model_id', 'software_version', 'sha256'])
    .execute();

  await db.schema
    .createTable('sbom_components')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('sbom_id', text, (c) => c.notNull().references('sboms.id').onDelete('cascade'))
    .addColumn('ref', text, (c) => c.notNull())
    .addColumn('name', text, (c) => c.notNull())
    .addColumn('version', text)
    .addColumn('supplier', text)
    .addColumn('purl', text)
    .addColumn('package_key', text)
    .addColumn('cpes', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sbom_components_sbom').on('sbom_components').column('sbom_id').execute();
  await db.schema
    .createIndex('sbom_components_package')
    .on('sbom_components')
    .column('package_key')
    .execute();

  await db.schema
    .createTable('vex_statements')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('vuln_key', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('justification', text)
    .addColumn('impact_statement', text)
    .addColumn('action_statement', text)
    // Scope: a device, or a model (optionally one version), or a package (purl) in SBOMs.
    .addColumn('device_id', text, (c) => c.references('devices.id').onDelete('cascade'))
    .addColumn('model_id', text, (c) => c.references('device_models.id'))
    .addColumn('software_version', text)
    .addColumn('purl', text)
    .addColumn('product', text, (c) => c.notNull())
    .addColumn('origin', text, (c) => c.notNull())
    .addColumn('document', text)
    .addColumn('author', text)
    .addColumn('statement_time', text)
    .addColumn('created_by', text, (c) => c.notNull())
    .addColumn('created_at', text, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('vex_statements_vuln').on('vex_statements').column('vuln_key').execute();

  // One row per (device, vulnerability), small: what it says lives in match_answers, shared by every
  // device with the same answer (all devices of a model and version), so a fleet of 100,000 devices
  // with 800,000 matches stores tens of thousands of answers, not 800,000 copies of the evidence.
  await db.schema
    .createTable('match_answers')
    .addColumn('fingerprint', text, (c) => c.primaryKey())
    .addColumn('cve', text)
    .addColumn('advisory_ids', text, (c) => c.notNull())
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('confidence', real, (c) => c.notNull())
    .addColumn('candidate', integer, (c) => c.notNull())
    .addColumn('matched_by', text, (c) => c.notNull())
    .addColumn('explanation', text, (c) => c.notNull())
    .addColumn('fix_available', integer, (c) => c.notNull())
    .addColumn('details', text, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('vulnerability_matches')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('device_id', text, (c) => c.notNull().references('devices.id').onDelete('cascade'))
    .addColumn('vuln_key', text, (c) => c.notNull())
    // Copied from the answer for filtering without a join.
    .addColumn('status', text, (c) => c.notNull())
    .addColumn('candidate', integer, (c) => c.notNull())
    .addColumn('fingerprint', text, (c) => c.notNull().references('match_answers.fingerprint'))
    .addColumn('first_matched_at', text, (c) => c.notNull())
    .addColumn('last_matched_at', text, (c) => c.notNull())
    .addUniqueConstraint('vulnerability_matches_device_vuln', ['device_id', 'vuln_key'])
    .execute();
  await db.schema
    .createIndex('vulnerability_matches_vuln')
    .on('vulnerability_matches')
    .column('vuln_key')
    .execute();
  await db.schema
    .createIndex('vulnerability_matches_fingerprint')
    .on('vulnerability_matches')
    .column('fingerprint')
    .execute();

  await db.schema
    .createTable('match_decisions')
    .addColumn('id', text, (c) => c.primaryKey())
    .addColumn('manufacturer_key', text, (c) => c.notNull())
    .addColumn('model_key', text, (c) => c.notNull())
    // '' stands for "every version" so the unique constraint works on both dialects.
    .addColumn('version', text, (c) => c.notNull())
    .addColumn('vuln_key', text, (c) => c.notNull())
    .addColumn('decision', text, (c) => c.notNull())
    .addColumn('reason', text, (c) => c.notNull())
    .addColumn('decided_by', text, (c) => c.notNull())
    .addColumn('decided_at', text, (c) => c.notNull())
    .addUniqueConstraint('match_decisions_key', ['manufacturer_key', 'model_key', 'version', 'vuln_key'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
