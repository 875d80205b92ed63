// Admin edits (issue 17): the edit forms of the help-desk setup ↔ the update mutations'
// inputs. Pure, so the screen only wires state to them.
import type { AgentUpdateInput, MacroInput, TicketPriority, TicketStatus } from '../gql/graphql';
import type { HoursForm } from './admin';

export interface AgentForm {
  name: string;
  email: string;
  available: boolean;
  /** Group ids, the complete list. */
  groups: string[];
}

/** The fields that differ from the agent as loaded; null when nothing changed. */
export function agentUpdateInput(before: AgentForm, after: AgentForm): AgentUpdateInput | null {
  const input: AgentUpdateInput = {};
  if (after.name.trim() !== before.name) input.name = after.name.trim();
  if (after.email.trim() !== before.email) input.email = after.email.trim();
  if (after.available !== before.available) input.available = after.available;
  const same = after.groups.length === before.groups.length && after.groups.every((g) => before.groups.includes(g));
  if (!same) input.groups = after.groups;
  return Object.keys(input).length ? input : null;
}

/** A group's round-robin order with an agent checked in (appended) or out; the others keep their place. */
export function withMember(order: readonly string[], id: string, on: boolean): string[] {
  if (on) return order.includes(id) ? [...order] : [...order, id];
  return order.filter((x) => x !== id);
}

/** Moves the agent at index by delta (−1 up, +1 down) in the round-robin order. */
export function moveMember(order: readonly string[], index: number, delta: number): string[] {
  const to = index + delta;
  if (index < 0 || index >= order.length || to < 0 || to >= order.length) return [...order];
  const out = [...order];
  [out[index], out[to]] = [out[to], out[index]];
  return out;
}

export interface MacroForm {
  name: string;
  body: string;
  setStatus: TicketStatus | '';
  setPriority: TicketPriority | '';
  /** Comma or space separated. */
  tags: string;
}

export const EMPTY_MACRO: MacroForm = { name: '', body: '', setStatus: '', setPriority: '', tags: '' };

/** The form of a stored macro, to edit it. */
export function macroForm(m: { name: string; body: string; setStatus?: TicketStatus | null; setPriority?: TicketPriority | null; addTags: string[] }): MacroForm {
  return { name: m.name, body: m.body, setStatus: m.setStatus ?? '', setPriority: m.setPriority ?? '', tags: m.addTags.join(', ') };
}

/** createMacro's and updateMacro's input. */
export function macroInput(f: MacroForm): MacroInput {
  return { name: f.name.trim(), body: f.body, setStatus: f.setStatus || null, setPriority: f.setPriority || null, addTags: f.tags.split(/[\s,]+/).filter(Boolean) };
}

export interface SlaForm {
  priority: TicketPriority;
  first: number;
  resolution: number;
  useHours: boolean;
  hours: HoursForm;
}

/**
 * The form of a stored policy, to edit it. The form holds one opening time for all its
 * weekdays: the first interval's, the weekdays those of every interval.
 */
export function slaForm(
  p: { priority: TicketPriority; firstResponseMinutes: number; resolutionMinutes: number; businessHours?: { timeZone: string; intervals: { weekday: number; start: string; end: string }[]; holidays: string[] } | null },
  fallback: HoursForm,
): SlaForm {
  const bh = p.businessHours;
  const first = bh?.intervals[0];
  return {
    priority: p.priority,
    first: p.firstResponseMinutes,
    resolution: p.resolutionMinutes,
    useHours: !!bh,
    hours: bh
      ? { timeZone: bh.timeZone, weekdays: [...new Set(bh.intervals.map((i) => i.weekday))].sort((a, b) => a - b), start: first?.start ?? fallback.start, end: first?.end ?? fallback.end, holidays: bh.holidays.join(', ') }
      : fallback,
  };
}

/** Whether a policy's hours fit the form exactly (one opening time on every open day). */
export function hoursFitForm(bh: { intervals: { start: string; end: string }[] } | null | undefined): boolean {
  if (!bh || bh.intervals.length === 0) return true;
  return bh.intervals.every((i) => i.start === bh.intervals[0].start && i.end === bh.intervals[0].end);
}
