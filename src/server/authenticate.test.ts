import { describe, expect, it } from 'vitest';
import { forwardedClient } from './authenticate.js';

describe('the client address from X-Forwarded-For', () => {
  // What nginx's $proxy_add_x_forwarded_for sends: the client's own header, then the address nginx saw.
  const spoofed = 'admin-workstation-IT (10.0.0.1), 10.0.0.1, 203.0.113.7';

  it('takes the entry the trusted proxy appended, never one the client wrote', () => {
    expect(forwardedClient(spoofed, 1)).toBe('203.0.113.7');
    expect(forwardedClient('203.0.113.7', 1)).toBe('203.0.113.7');
    // Two proxies (a load balancer, then nginx): the load balancer's entry is second from the right.
    expect(forwardedClient('10.0.0.1, 198.51.100.20, 10.20.0.5', 2)).toBe('198.51.100.20');
    expect(forwardedClient(' 2001:db8::7 ', 1)).toBe('2001:db8::7');
    // Azure Application Gateway and IIS ARR append the port: the address alone keys the throttle.
    expect(forwardedClient('10.0.0.1, 203.0.113.7:51234', 1)).toBe('203.0.113.7');
    expect(forwardedClient('10.0.0.1, [2001:db8::7]:51234', 1)).toBe('2001:db8::7');
  });

  it('gives nothing for what is not an IP address, a header too short, or no trusted proxy', () => {
    expect(forwardedClient('10.0.0.1, admin-workstation-IT (10.0.0.1)', 1)).toBeUndefined();
    expect(forwardedClient('10.0.0.1, 203.0.113.7:', 1)).toBeUndefined();
    expect(forwardedClient('10.0.0.1, 2001:db8::7:51234x', 1)).toBeUndefined();
    expect(forwardedClient('10.0.0.1, [2001:db8::7]', 1)).toBeUndefined();
    expect(forwardedClient('10.0.0.1, 999.0.113.7:51234', 1)).toBeUndefined();
    expect(forwardedClient('10.0.0.1, [admin]:443', 1)).toBeUndefined();
    expect(forwardedClient('10.0.0.1,', 1)).toBeUndefined();
    expect(forwardedClient('203.0.113.7', 2)).toBeUndefined();
    expect(forwardedClient('203.0.113.7', 0)).toBeUndefined();
    expect(forwardedClient(undefined, 1)).toBeUndefined();
  });
});
