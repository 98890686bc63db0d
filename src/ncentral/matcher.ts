import type { MappingState } from '../store/tables.js';

/**
 * Client matching as Passportal's "Auto-Match All" does it: only identical names, here ignoring case and
 * surrounding spaces (ncentral-api.md §8, §9.9). Anything less certain is left for a person, with the reason.
 */
export interface MatchUnit {
  orgUnitId: string;
  name: string;
  state: MappingState;
  portalClientId: string | null;
}

export interface MatchClient {
  id: string;
  name: string;
}

export type AutoMatchDecision =
  | { orgUnitId: string; action: 'match'; portalClientId: string }
  | { orgUnitId: string; action: 'ambiguous'; note: string }
  | { orgUnitId: string; action: 'none' };

export const matchKey = (name: string): string => name.trim().toLowerCase();

/** Decides, for every unmatched unit, whether exactly one portal client carries its name and no other unit claims it. */
export function planAutoMatch(units: MatchUnit[], clients: MatchClient[]): AutoMatchDecision[] {
  const clientsByKey = groupBy(clients, (c) => matchKey(c.name));
  const unitsByKey = groupBy(units.filter((u) => u.state === 'unmatched'), (u) => matchKey(u.name));
  const taken = new Map<string, MatchUnit>();
  for (const u of units) if (u.state === 'matched' && u.portalClientId) taken.set(u.portalClientId, u);

  const decisions: AutoMatchDecision[] = [];
  for (const [key, group] of unitsByKey) {
    const candidates = clientsByKey.get(key) ?? [];
    for (const unit of group) {
      if (candidates.length === 0) {
        decisions.push({ orgUnitId: unit.orgUnitId, action: 'none' });
      } else if (candidates.length > 1) {
        decisions.push({
          orgUnitId: unit.orgUnitId,
          action: 'ambiguous',
          note: `${candidates.length} portal clients are named "${unit.name.trim()}" (ignoring case and spaces); match one by hand`,
        });
      } else if (group.length > 1) {
        decisions.push({
          orgUnitId: unit.orgUnitId,
          action: 'ambiguous',
          note: `${group.length} N-central entries are named "${unit.name.trim()}" (ignoring case and spaces); match them by hand`,
        });
      } else {
        const client = candidates[0] as MatchClient;
        const holder = taken.get(client.id);
        if (holder) {
          decisions.push({
            orgUnitId: unit.orgUnitId,
            action: 'ambiguous',
            note: `portal client "${client.name}" is already matched to N-central ${holder.orgUnitId} ("${holder.name}")`,
          });
        } else {
          decisions.push({ orgUnitId: unit.orgUnitId, action: 'match', portalClientId: client.id });
        }
      }
    }
  }
  return decisions;
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
