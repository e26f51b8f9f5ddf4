/** Counters, gauges and histograms rendered in the Prometheus text format for GET /metrics. */

type Labels = Record<string, string>;

interface Family {
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  values: Map<string, number>;
  read?: () => number;
  histogram?: { buckets: number[]; counts: number[]; sum: number; count: number };
}

export class Metrics {
  private readonly families = new Map<string, Family>();

  counter(name: string, help: string): (amount?: number, labels?: Labels) => void {
    const family = this.family(name, 'counter', help);
    return (amount = 1, labels = {}) => {
      const key = labelText(labels);
      family.values.set(key, (family.values.get(key) ?? 0) + amount);
    };
  }

  /** A gauge read when /metrics is scraped. */
  gauge(name: string, help: string, read: () => number): void {
    this.family(name, 'gauge', help).read = read;
  }

  /** A histogram with these upper bounds (the +Inf bucket is implied); returns the observe function. */
  histogram(name: string, help: string, buckets: number[]): (value: number) => void {
    const family = this.family(name, 'histogram', help);
    const histogram = { buckets: [...buckets].sort((a, b) => a - b), counts: buckets.map(() => 0), sum: 0, count: 0 };
    family.histogram = histogram;
    return (value) => {
      histogram.count++;
      histogram.sum += value;
      histogram.buckets.forEach((bound, i) => {
        if (value <= bound) histogram.counts[i]!++;
      });
    };
  }

  value(name: string, labels: Labels = {}): number {
    return this.families.get(name)?.values.get(labelText(labels)) ?? 0;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, family] of this.families) {
      lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} ${family.type}`);
      if (family.histogram) {
        const h = family.histogram;
        h.buckets.forEach((bound, i) => lines.push(`${name}_bucket{le="${bound}"} ${h.counts[i]}`));
        lines.push(`${name}_bucket{le="+Inf"} ${h.count}`, `${name}_sum ${h.sum}`, `${name}_count ${h.count}`);
      } else if (family.read) lines.push(`${name} ${family.read()}`);
      else if (family.values.size === 0) lines.push(`${name} 0`);
      for (const [labels, value] of family.values) lines.push(`${name}${labels} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private family(name: string, type: Family['type'], help: string): Family {
    let family = this.families.get(name);
    if (!family) {
      family = { type, help, values: new Map() };
      this.families.set(name, family);
    }
    return family;
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`).join(',')}}`;
}
