/**
 * @module Text parameters without NUL characters, for every query of either dialect.
 *
 * PostgreSQL's text cannot hold U+0000 ("invalid byte sequence for encoding UTF8: 0x00"), and a NUL can
 * arrive from anywhere Vigil reads: a DHCP or HTTP field in a capture, an advisory's JSON (`\u0000`), a
 * CSV cell, an API request. Found by fuzzing the API on PostgreSQL: 63 operations answered 500. Each NUL
 * becomes U+FFFD (the replacement character, as `printable()` shows control bytes) on both dialects, so
 * the same input is stored and compared alike on SQLite and PostgreSQL. Done on the compiled query's
 * parameters, where every value passes once, rather than by rewriting each query's tree.
 */
import type {
  CompiledQuery,
  DatabaseConnection,
  Dialect,
  Driver,
  QueryResult,
  TransactionSettings,
} from 'kysely';

function clean(value: unknown): unknown {
  if (typeof value === 'string')
    return value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value;
  if (Array.isArray(value))
    return value.some((v) => typeof v === 'string' || Array.isArray(v)) ? value.map(clean) : value;
  return value;
}

function cleanQuery(query: CompiledQuery): CompiledQuery {
  const { parameters } = query;
  for (let i = 0; i < parameters.length; i++) {
    const p = parameters[i];
    if ((typeof p === 'string' && p.includes('\u0000')) || Array.isArray(p)) {
      return { ...query, parameters: parameters.map(clean) };
    }
  }
  return query;
}

class CleanConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.inner.executeQuery<R>(cleanQuery(query));
  }
  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(cleanQuery(query), chunkSize);
  }
}

const innerOf = (c: DatabaseConnection) => (c instanceof CleanConnection ? c.inner : c);

class CleanDriver implements Driver {
  constructor(private readonly inner: Driver) {}
  init(): Promise<void> {
    return this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new CleanConnection(await this.inner.acquireConnection());
  }
  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(innerOf(c), settings);
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(innerOf(c));
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(innerOf(c));
  }
  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerOf(c));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

// Savepoints are forwarded only when the wrapped driver has them, so Kysely sees the same abilities.
function withSavepoints(outer: CleanDriver, inner: Driver): Driver {
  const d = outer as Driver;
  if (inner.savepoint) d.savepoint = (c, name, compile) => inner.savepoint!(innerOf(c), name, compile);
  if (inner.rollbackToSavepoint)
    d.rollbackToSavepoint = (c, name, compile) => inner.rollbackToSavepoint!(innerOf(c), name, compile);
  if (inner.releaseSavepoint)
    d.releaseSavepoint = (c, name, compile) => inner.releaseSavepoint!(innerOf(c), name, compile);
  return d;
}

/** `dialect` with every text parameter's NUL characters replaced by U+FFFD. */
export function textWithoutNul(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => {
      const inner = dialect.createDriver();
      return withSavepoints(new CleanDriver(inner), inner);
    },
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  };
}
