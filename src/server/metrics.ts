// Prometheus text exposition (version 0.0.4) of a few counters and gauges, without a client
// library: names follow the Prometheus naming guide (unit suffixes, _total for counters).

type Labels = Readonly<Record<string, string>>;

function key(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k].replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`)
    .join(',');
}

class Family {
  readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}
}

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly gauges = new Map<string, () => Promise<number> | number>();

  counter(name: string, help: string): (labels?: Labels, by?: number) => void {
    const f = this.family(name, help, 'counter');
    return (labels = {}, by = 1) => {
      const k = key(labels);
      f.values.set(k, (f.values.get(k) ?? 0) + by);
    };
  }

  /** A gauge read when scraped. */
  gauge(name: string, help: string, read: () => Promise<number> | number): void {
    this.family(name, help, 'gauge');
    this.gauges.set(name, read);
  }

  private family(name: string, help: string, type: 'counter' | 'gauge'): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      f = new Family(name, help, type);
      this.families.set(name, f);
    }
    return f;
  }

  async render(): Promise<string> {
    const out: string[] = [];
    for (const f of this.families.values()) {
      const read = this.gauges.get(f.name);
      if (read !== undefined) f.values.set('', await read());
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      if (f.values.size === 0 && f.type === 'counter') out.push(`${f.name} 0`);
      for (const [k, v] of f.values) out.push(k === '' ? `${f.name} ${v}` : `${f.name}{${k}} ${v}`);
    }
    return `${out.join('\n')}\n`;
  }
}
