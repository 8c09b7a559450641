/**
 * Product tokens of HTTP Server values: real ones first (shared capture 06's Python http.server, and
 * values as common servers send them), then properties on any input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { productTokens, serverProduct } from './product-tokens.js';

describe('serverProduct', () => {
  it('names the first product and its version (capture 06, tshark http.server)', () => {
    expect(serverProduct('SimpleHTTP/0.6 Python/3.11.2')).toEqual({ name: 'SimpleHTTP', version: '0.6' });
    expect(productTokens('SimpleHTTP/0.6 Python/3.11.2')).toEqual([
      { name: 'SimpleHTTP', version: '0.6' },
      { name: 'Python', version: '3.11.2' },
    ]);
  });

  it('skips comments, keeps a product without a version, and reads a glued version comment', () => {
    expect(productTokens('Apache/2.4.57 (Debian) OpenSSL/3.0.11')).toEqual([
      { name: 'Apache', version: '2.4.57' },
      { name: 'OpenSSL', version: '3.0.11' },
    ]);
    expect(serverProduct('nginx')).toEqual({ name: 'nginx', version: null });
    expect(serverProduct('Microsoft-IIS/10.0')).toEqual({ name: 'Microsoft-IIS', version: '10.0' });
    expect(serverProduct('Jetty(9.4.53.v20231009)')).toEqual({ name: 'Jetty', version: '9.4.53.v20231009' });
    expect(serverProduct('  lighttpd/1.4.69  ')).toEqual({ name: 'lighttpd', version: '1.4.69' });
    expect(productTokens('mini_httpd/1.19 19dec2003')).toEqual([
      { name: 'mini_httpd', version: '1.19' },
      { name: '19dec2003', version: null },
    ]);
  });

  it('has no product for a value that opens with no token', () => {
    expect(serverProduct('')).toBeNull();
    expect(serverProduct('(Ubuntu)')).toBeNull();
    expect(serverProduct('"quoted"')).toBeNull();
    expect(serverProduct('(unclosed')).toBeNull();
  });

  it('product names and versions are tokens taken from the value, in order (property)', () => {
    const tchar = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
    fc.assert(
      fc.property(fc.string({ maxLength: 200, unit: 'binary' }), (value) => {
        let from = 0;
        for (const p of productTokens(value)) {
          expect(p.name).toMatch(tchar);
          if (p.version !== null) expect(p.version).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          const at = value.indexOf(p.name, from);
          expect(at).toBeGreaterThanOrEqual(from);
          from = at + p.name.length;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('reads back products it is given, with comments between them (property)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/);
    const product = fc.record({ name: token, version: fc.option(token, { nil: null }) });
    const text = fc.stringMatching(/^[a-z ;:.0-9]{0,12}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(product, fc.option(text)), { minLength: 1, maxLength: 6 }), (parts) => {
        const value = parts
          .map(
            ([p, c]) => `${p.name}${p.version === null ? '' : `/${p.version}`}${c === null ? '' : ` (${c})`}`,
          )
          .join(' ');
        expect(productTokens(value)).toEqual(parts.map(([p]) => p));
        expect(serverProduct(value)).toEqual(parts[0]![0]);
      }),
    );
  });
});
