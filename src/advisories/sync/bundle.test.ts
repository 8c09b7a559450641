import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { importBundle, normaliseBundlePath } from './bundle.js';
import { FIXTURE_DIR, generateTestKey, readFixtureTree, signDetached } from './test-provider.js';

const tmp = mkdtempSync(join(tmpdir(), 'vigil-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type TarEntry = {
  name: string;
  body?: Uint8Array;
  type?: 'file' | 'symlink' | 'directory';
  linkname?: string;
};

async function makeTar(entries: TarEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header: Partial<tar.Header> & Pick<tar.Header, 'name'> = { name: e.name, type: e.type ?? 'file' };
      if (e.linkname) header.linkname = e.linkname;
      pack.entry(header, Buffer.from(e.body ?? new Uint8Array(0)), (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

function whiteFiles(prefix: string): TarEntry[] {
  return [...readFixtureTree(`${FIXTURE_DIR}white`)].map(([name, body]) => ({
    name: `${prefix}${name}`,
    body,
  }));
}

const names = (docs: { url: string }[]) => docs.map((d) => d.url);

describe('importBundle', () => {
  it('reads a directory laid out like the provider (changes.csv), checking hashes', async () => {
    const r = await importBundle({ path: FIXTURE_DIR });
    expect(r.rejected).toEqual([]);
    expect(names(r.documents)).toEqual([
      'white/2017/icsma-17-082-02.json',
      'white/2017/icsma-17-241-01.json',
      'white/2018/icsma-18-240-01.json',
      'white/2022/icsma-22-095-01.json',
    ]);
    expect(r.documents.map((d) => [d.hash, d.signature])).toEqual([
      ['sha512', 'absent'],
      ['sha512', 'no-key'], // CISA's real signature, CISA's key not supplied
      ['sha256', 'absent'],
      ['sha512', 'absent'],
    ]);
    expect(r.documents[1]?.updated).toBe('2017-08-29T00:00:00.000000Z');
    expect(r.metadata?.publisher.name).toBe('CISA');
  });

  it('reads a .tar.gz with a top-level folder, verifies test-time signatures with caller-supplied keys', async () => {
    const key = await generateTestKey();
    const files = whiteFiles('bundle/white/').filter((e) => !e.name.endsWith('.asc'));
    const docs = files.filter((e) => e.name.endsWith('.json'));
    const sigs = await Promise.all(
      docs.map(async (e) => ({
        name: `${e.name}.asc`,
        body: new TextEncoder().encode(await signDetached(key, e.body!)),
      })),
    );
    const path = join(tmp, 'signed.tar.gz');
    writeFileSync(path, gzipSync(await makeTar([{ name: 'bundle/', type: 'directory' }, ...files, ...sigs])));
    const r = await importBundle({
      path,
      keys: [{ armored: key.publicArmored, fingerprint: key.fingerprint }],
      requireSignature: true,
    });
    expect(r.rejected).toEqual([]);
    expect(r.documents).toHaveLength(4);
    expect(r.documents.every((d) => d.signature === 'verified' && d.url.startsWith('bundle/white/'))).toBe(
      true,
    );
  });

  it('refuses path traversal, absolute paths, links and oversize files in a tar', async () => {
    const path = join(tmp, 'evil.tar');
    const json = new TextEncoder().encode('{"document":{}}');
    writeFileSync(
      path,
      await makeTar([
        { name: '../evil.json', body: json },
        { name: '2024/../../evil2.json', body: json },
        { name: '/abs/2024/x.json', body: json },
        { name: '2024/link.json', type: 'symlink', linkname: '/etc/passwd' },
        { name: '2024/big.json', body: new Uint8Array(5000).fill(0x20) },
        { name: './2024/ok.json', body: json },
        { name: 'feed.json', body: new TextEncoder().encode('{"feed":{}}') },
      ]),
    );
    const r = await importBundle({ path, maxFileBytes: 1000 });
    expect(names(r.documents)).toEqual(['2024/ok.json']); // year-folder fallback, feed.json not taken
    expect(r.rejected).toEqual([
      { url: '../evil.json', reason: 'path traversal or absolute path in archive' },
      { url: '2024/../../evil2.json', reason: 'path traversal or absolute path in archive' },
      { url: '/abs/2024/x.json', reason: 'path traversal or absolute path in archive' },
      { url: '2024/link.json', reason: 'tar entry type symlink skipped' },
      { url: '2024/big.json', reason: 'too large: 5000 bytes > 1000' },
    ]);
  });

  it('rejects a wrong hash, a listed-but-missing file, and unknown-key signatures under requireSignature', async () => {
    const files = whiteFiles('white/')
      .filter((e) => !e.name.endsWith('changes.csv'))
      .map((e) =>
        e.name.endsWith('icsma-22-095-01.json.sha512')
          ? { ...e, body: new TextEncoder().encode('0'.repeat(128)) }
          : e,
      )
      .map((e) =>
        e.name === 'white/index.txt'
          ? { ...e, body: new TextEncoder().encode(`${new TextDecoder().decode(e.body)}2023/missing.json\n`) }
          : e,
      );
    const path = join(tmp, 'mixed.tar');
    writeFileSync(path, await makeTar(files));
    const plain = await importBundle({ path });
    expect(names(plain.documents)).toEqual([
      'white/2017/icsma-17-082-02.json',
      'white/2017/icsma-17-241-01.json',
      'white/2018/icsma-18-240-01.json',
    ]);
    expect(plain.rejected).toEqual([
      {
        url: 'white/2022/icsma-22-095-01.json',
        reason: expect.stringMatching(/^hash: hash file has 128|^hash: sha512 mismatch/),
      },
      { url: 'white/2023/missing.json', reason: 'listed but missing from bundle' },
    ]);

    const key = await generateTestKey();
    const strict = await importBundle({
      path,
      keys: [{ armored: key.publicArmored }],
      requireSignature: true,
    });
    expect(strict.documents).toEqual([]);
    const reasons = Object.fromEntries(strict.rejected.map((x) => [x.url.split('/').pop(), x.reason]));
    expect(reasons['icsma-17-241-01.json']).toBe('signature by unknown key cac5ac4f74164b17');
    expect(reasons['icsma-17-082-02.json']).toBe('signature required but absent');
  });

  it('skips symlinks in a directory bundle and survives unreadable input', async () => {
    const dir = join(tmp, 'dirbundle');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, '2024'), { recursive: true });
    writeFileSync(join(dir, '2024', 'a.json'), '{"document":{"title":"a"}}');
    writeFileSync(join(dir, '2024', 'b.json'), 'not json');
    symlinkSync('/etc/passwd', join(dir, '2024', 'c.json'));
    const r = await importBundle({ path: dir });
    expect(names(r.documents)).toEqual(['2024/a.json']);
    expect(r.rejected).toEqual([
      { url: '2024/c.json', reason: 'symbolic link skipped' },
      { url: '2024/b.json', reason: expect.stringMatching(/^not JSON/) },
    ]);

    writeFileSync(join(tmp, 'corrupt.tar.gz'), Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5]));
    const corrupt = await importBundle({ path: join(tmp, 'corrupt.tar.gz') });
    expect(corrupt.documents).toEqual([]);
    expect(corrupt.rejected[0]?.reason).toMatch(/^unreadable bundle/);
    const missing = await importBundle({ path: join(tmp, 'nope') });
    expect(missing.rejected[0]?.reason).toMatch(/^unreadable bundle/);
  });

  it('normaliseBundlePath', () => {
    expect(normaliseBundlePath('./a//b/./c.json')).toBe('a/b/c.json');
    expect(normaliseBundlePath('a/../b.json')).toBeNull();
    expect(normaliseBundlePath('C:/x.json')).toBeNull();
    expect(normaliseBundlePath('a\\..\\b.json')).toBeNull();
    expect(normaliseBundlePath('./')).toBeNull();
  });
});
