import { describe, expect, it } from 'vitest';
import { serverByPort } from './server-by-port.js';

describe('serverByPort', () => {
  it.each([
    [51000, 104, 'dst'],
    [104, 51000, 'src'],
    [40000, 2575, 'dst'],
    [4242, 55126, 'src'],
    [22, 23, null],
    [50000, 60000, null],
    [8080, 8443, null],
  ])('%i → %i: server is %s', (src, dst, expected) => {
    expect(serverByPort(src, dst)).toBe(expected);
  });
});
