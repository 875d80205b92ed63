// How the inbox and a ticket show channels and e-mail: channel icons and the channel
// filter, the quoted tail of a mail folded away, attachment sizes, delivery states.
import type { TicketChannel } from '../gql/graphql';

export const CHANNELS: { channel: TicketChannel; label: string; icon: string }[] = [
  { channel: 'EMAIL', label: 'E-mail', icon: '✉' },
  { channel: 'CHAT', label: 'Chat', icon: '💬' },
  { channel: 'SOCIAL', label: 'Social', icon: '📣' },
  { channel: 'WEB_FORM', label: 'Web form', icon: '🌐' },
  { channel: 'PHONE', label: 'Phone', icon: '☎' },
];

export function channelInfo(c: TicketChannel): { label: string; icon: string } {
  return CHANNELS.find((x) => x.channel === c) ?? { label: c, icon: '•' };
}

/**
 * Tickets of the picked channels (all when none is picked). The server's TicketFilter has no
 * channel, so the loaded pages are filtered here.
 */
export function byChannel<T extends { channel: TicketChannel }>(items: T[], picked: ReadonlySet<TicketChannel>): T[] {
  return picked.size === 0 ? items : items.filter((t) => picked.has(t.channel));
}

/** "a,b" in the order of CHANNELS; unknown names dropped. For remembering the filter. */
export function channelsToParam(picked: ReadonlySet<TicketChannel>): string {
  return CHANNELS.filter((c) => picked.has(c.channel))
    .map((c) => c.channel)
    .join(',');
}

export function channelsFromParam(s: string | null | undefined): Set<TicketChannel> {
  const known = new Set<string>(CHANNELS.map((c) => c.channel));
  return new Set((s ?? '').split(',').filter((x): x is TicketChannel => known.has(x)));
}

// "On Mon, 3 Mar 2025 at 10:00, Ann <a@x> wrote:", "Am … schrieb …:", Outlook's separator.
const ATTRIBUTION = /^(on\s.+\swrote:|am\s.+\sschrieb\s.*:|le\s.+\sa écrit\s?:)\s*$/i;
const SEPARATOR = /^(-{2,}\s*original message\s*-{2,}|_{10,})\s*$/i;
const QUOTE = /^\s*>/;

export interface SplitBody {
  main: string;
  /** The folded tail: earlier messages quoted below the reply; null when there is none. */
  quoted: string | null;
}

/**
 * Splits a mail body into the new text and the quoted tail: from an attribution line
 * ("On … wrote:") or an "Original Message" separator on, or a trailing block of "> " lines.
 * Quotes interleaved with the reply stay visible; a body that is all quote is not folded.
 */
export function splitQuoted(body: string): SplitBody {
  const lines = body.split(/\r?\n/);
  let cut = lines.findIndex((l) => ATTRIBUTION.test(l.trim()) || SEPARATOR.test(l.trim()));
  if (cut < 0) {
    let i = lines.length - 1;
    while (i >= 0 && lines[i].trim() === '') i--;
    const last = i;
    while (i >= 0 && (QUOTE.test(lines[i]) || lines[i].trim() === '')) i--;
    cut = i + 1;
    if (cut > last || !lines.slice(cut, last + 1).some((l) => QUOTE.test(l))) cut = -1;
  }
  if (cut < 0) return { main: body, quoted: null };
  const main = lines.slice(0, cut).join('\n').trimEnd();
  if (main.trim() === '') return { main: body, quoted: null };
  return { main, quoted: lines.slice(cut).join('\n').trim() };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export type Tone = 'ok' | 'pending' | 'bad' | 'warn';

/** An outgoing e-mail's delivery as shown on the reply. */
export function emailDeliveryView(state: string | null | undefined, error?: string | null): { label: string; tone: Tone; title: string } | null {
  switch (state) {
    case 'SENT':
      return { label: 'Sent', tone: 'ok', title: 'The mail relay accepted the reply.' };
    case 'QUEUED':
    case 'SENDING':
      return { label: state === 'QUEUED' ? 'Queued' : 'Sending', tone: 'pending', title: 'Waiting for the mail relay.' };
    case 'FAILED':
      return { label: 'Not delivered', tone: 'bad', title: error ?? 'The mail relay refused the reply.' };
    case 'UNCERTAIN':
      return {
        label: 'Delivery uncertain',
        tone: 'warn',
        title: `${error ? `${error}. ` : ''}The relay may or may not have taken it; it is not sent again.`,
      };
    default:
      return null;
  }
}

/** A reply's POST to a social/messaging connector. */
export function channelDeliveryView(d: { state: string; attempts: number; lastError?: string | null; channel: string }): { label: string; tone: Tone; title: string } {
  const tries = `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
  switch (d.state) {
    case 'DELIVERED':
      return { label: `Delivered to ${d.channel}`, tone: 'ok', title: tries };
    case 'FAILED':
      return { label: `Not delivered to ${d.channel}`, tone: 'bad', title: `${d.lastError ?? 'failed'} (${tries})` };
    default:
      return { label: `Delivering to ${d.channel}…`, tone: 'pending', title: d.lastError ? `${d.lastError} (${tries}, retrying)` : tries };
  }
}
