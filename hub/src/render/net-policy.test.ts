import { describe, expect, it } from 'vitest';
import { RemoteRefusedError } from './errors.js';
import { hostEntryProblem, isSpecialAddress, vetUrl } from './net-policy.js';

const dns =
  (answers: Record<string, string[]>) =>
  async (host: string): Promise<{ address: string; family: number }[]> =>
    (answers[host] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const vet = (url: string, allowed: string[], answers: Record<string, string[]> = {}) =>
  vetUrl(new URL(url), { allowed }, 'helm chart x', dns(answers));

describe('isSpecialAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['::1', true],
    ['::', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:8.8.8.8', false],
    ['8.8.8.8', false],
    ['2606:4700::1111', false],
  ])('%s → %s', (address, special) => expect(isSpecialAddress(address)).toBe(special));
});

describe('vetUrl', () => {
  it('allows a listed public host, pinned to the address it resolved to', async () => {
    await expect(
      vet('https://charts.example.com/stable', ['charts.example.com'], { 'charts.example.com': ['93.184.216.34'] }),
    ).resolves.toEqual({
      address: '93.184.216.34',
      family: 4,
    });
    await expect(
      vet('https://a.charts.example.com/', ['*.charts.example.com'], { 'a.charts.example.com': ['1.2.3.4'] }),
    ).resolves.toMatchObject({
      address: '1.2.3.4',
    });
  });

  it('refuses a host that is not listed, naming the list and how to extend it', async () => {
    const r = vet('https://evil.example.net/', ['charts.example.com']);
    await expect(r).rejects.toThrow(RemoteRefusedError);
    await expect(r).rejects.toThrow(
      /host evil\.example\.net is not in this repository's allowed render hosts \(charts\.example\.com\).*fleet repos allow-hosts/,
    );
    await expect(vet('https://example.com/', ['*.example.com'])).rejects.toThrow(/not in this repository/);
  });

  it('refuses a listed name that resolves to a private or loopback address (DNS re-pointing)', async () => {
    for (const address of ['127.0.0.1', '169.254.169.254', '10.0.0.5', '::1', '::ffff:127.0.0.1']) {
      await expect(
        vet('https://charts.example.com/', ['charts.example.com'], { 'charts.example.com': [address] }),
      ).rejects.toThrow(/resolves to .* a loopback, link-local or private address/);
    }
  });

  it('reaches a private address only when the address (or its network) is listed itself', async () => {
    await expect(vet('http://127.0.0.1:8080/charts', ['127.0.0.1'])).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(
      vet('https://charts.internal/', ['charts.internal', '10.1.0.0/16'], { 'charts.internal': ['10.1.2.3'] }),
    ).resolves.toMatchObject({
      address: '10.1.2.3',
    });
    await expect(vet('http://127.0.0.1:8080/', [])).rejects.toThrow(/host 127\.0\.0\.1 is not in/);
    await expect(vet('http://10.2.0.1/', ['10.1.0.0/16'])).rejects.toThrow(/not in this repository/);
  });

  it('picks a permitted address when a name has several', async () => {
    await expect(
      vet('https://c.example.com/', ['c.example.com'], { 'c.example.com': ['127.0.0.1', '5.6.7.8'] }),
    ).resolves.toMatchObject({
      address: '5.6.7.8',
    });
  });

  it('refuses other schemes and URLs with credentials', async () => {
    await expect(vet('file:///etc/passwd', ['*'])).rejects.toThrow(/file:\/\/ URLs are not fetched/);
    await expect(vet('https://u:p@c.example.com/', ['c.example.com'])).rejects.toThrow(/carries credentials/);
  });
});

describe('hostEntryProblem', () => {
  it.each(['charts.example.com', '*.github.io', 'localhost', '10.1.0.0/16', '127.0.0.1', '::1', 'fd00::/8'])(
    '%s is fine',
    (e) => expect(hostEntryProblem(e)).toBeUndefined(),
  );
  it.each([
    ['http://charts.example.com', /must be a host name/],
    ['*', /must be a host name/],
    ['a b', /must be a host name/],
    ['10.0.0.0/33', /prefix length must be 0 to 32/],
    ['10.0.0.0/x', /prefix length/],
    ['charts.example.com:443', /must be a host name/],
  ])('%s is refused', (e, why) => expect(hostEntryProblem(e)).toMatch(why));
});
