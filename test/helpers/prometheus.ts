/** One sample of a Prometheus text exposition. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A scrape, parsed: its samples, and every metric family it declares (`# TYPE`), with or without samples. */
export interface Scrape {
  readonly samples: readonly Sample[];
  readonly families: ReadonlyMap<string, string>;
  /** The value of the one sample with this name and exactly these labels (undefined when there is none). */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** The sum over every sample of `name` whose labels include `labels`. */
  sum(name: string, labels?: Record<string, string>): number;
  /** Every sample name a PromQL expression may use: families, plus `_bucket`/`_sum`/`_count` of histograms. */
  names(): Set<string>;
}

export function parseScrape(text: string): Scrape {
  const samples: Sample[] = [];
  const families = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) families.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: sample[1]!, labels, value: Number(sample[3]!.toLowerCase() === 'nan' ? Number.NaN : sample[3]) });
  }
  const matches = (sample: Sample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
  return {
    samples,
    families,
    value(name, labels = {}) {
      return samples.find((s) => s.name === name && matches(s, labels) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;
    },
    sum(name, labels = {}) {
      return samples.filter((s) => s.name === name && matches(s, labels)).reduce((total, s) => total + s.value, 0);
    },
    names() {
      const names = new Set<string>();
      for (const [family, type] of families) {
        names.add(family);
        if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(family + suffix);
        if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(family + suffix);
      }
      for (const sample of samples) names.add(sample.name);
      return names;
    },
  };
}
