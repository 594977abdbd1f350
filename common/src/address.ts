export interface HostPort {
  /** The host without the brackets of an IPv6 literal (`[::1]:80` → `::1`); '' when none was given. */
  readonly host: string;
  readonly port: number;
}

/** `host:port`, `[::1]:9443` or `:8080` (port 0 to 65535); `undefined` when the text is not one. */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(.*):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port > 65535) return undefined;
  const host = m[1] ?? '';
  return { host: /^\[.*\]$/.test(host) ? host.slice(1, -1) : host, port };
}
