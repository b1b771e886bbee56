/**
 * Flows blocked by a server-name verdict, counted by rule and name for /metrics, with a bound
 * on the number of label sets: the first `maxSeries` (rule, name) pairs get their own series;
 * later new names count under name="_other" of their rule (rules are bounded by the policy), and
 * past twice the bound everything new counts under rule="_other", name="_other".
 */
export const OTHER_LABEL = '_other';
export const DEFAULT_MAX_NAME_SERIES = 200;

export interface NameDropSample {
  readonly rule: string;
  readonly name: string;
  readonly count: number;
}

export class NameDropCounts {
  private readonly counts = new Map<string, number>();
  private named = 0;

  constructor(readonly maxSeries = DEFAULT_MAX_NAME_SERIES) {}

  /** Counts one blocked flow; `name` is undefined when the flow showed none ("" in the label). */
  add(rule: string, name: string | undefined): void {
    let key = `${rule}\u0000${name ?? ''}`;
    if (!this.counts.has(key)) {
      if (this.named < this.maxSeries) this.named++;
      else {
        key = `${rule}\u0000${OTHER_LABEL}`;
        if (!this.counts.has(key) && this.counts.size >= 2 * this.maxSeries) key = `${OTHER_LABEL}\u0000${OTHER_LABEL}`;
      }
    }
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  get seriesCount(): number {
    return this.counts.size;
  }

  samples(): NameDropSample[] {
    return [...this.counts].map(([key, count]) => {
      const cut = key.indexOf('\u0000');
      return { rule: key.slice(0, cut), name: key.slice(cut + 1), count };
    });
  }
}
