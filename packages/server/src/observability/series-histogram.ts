import type { Metric, MetricValueWithName, Registry } from "prom-client";

/** Options of {@link createSeriesHistogram}. */
export interface SeriesHistogramOptions {
  name: string;
  help: string;
  /** Upper bounds of the buckets, ascending (`+Inf` is implied). */
  buckets: readonly number[];
  registry: Registry;
}

/** One labelled series of a {@link SeriesHistogram}: observing is an array increment. */
export interface HistogramSeries {
  observe(value: number): void;
}

/** A Prometheus histogram whose series are made once and then observed without label lookups. */
export interface SeriesHistogram {
  /** The series for `labels`; call once per label set and keep it. */
  series(labels: Readonly<Record<string, string>>): HistogramSeries;
}

/**
 * A histogram for the call path: prom-client's `Histogram.observe(labels, v)` validates and
 * hashes the label set on every call (~2 µs per call under load); here each series is an
 * object the caller keeps, so an observation is a bucket search over a few numbers and
 * two additions. It is registered in `registry` as a prom-client metric and scraped in
 * the same text format as prom-client's own histograms (`_bucket` with cumulative counts
 * and `le`, `_sum`, `_count`).
 */
export function createSeriesHistogram(options: SeriesHistogramOptions): SeriesHistogram {
  const bounds = [...options.buckets];
  const all: Series[] = [];
  const metric = {
    name: options.name,
    help: options.help,
    type: "histogram",
    aggregator: "sum",
    get() {
      const values: MetricValueWithName<string>[] = [];
      for (const series of all) {
        if (series.count === 0) continue;
        let cumulative = 0;
        bounds.forEach((le, i) => {
          cumulative += series.buckets[i] ?? 0;
          values.push({ labels: { ...series.labels, le }, value: cumulative, metricName: `${options.name}_bucket` });
        });
        values.push({ labels: { ...series.labels, le: "+Inf" }, value: series.count, metricName: `${options.name}_bucket` });
        values.push({ labels: { ...series.labels }, value: series.sum, metricName: `${options.name}_sum` });
        values.push({ labels: { ...series.labels }, value: series.count, metricName: `${options.name}_count` });
      }
      return Promise.resolve({ name: options.name, help: options.help, type: "histogram", aggregator: "sum", values });
    },
    reset(): void {
      for (const series of all) series.reset();
    },
  };
  options.registry.registerMetric(metric as unknown as Metric);
  return {
    series(labels) {
      const series = new Series(labels, bounds);
      all.push(series);
      return series;
    },
  };
}

class Series implements HistogramSeries {
  /** Observations per bucket (not cumulative); values above the last bound only count. */
  readonly buckets: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.buckets = new Array<number>(bounds.length).fill(0);
  }

  observe(value: number): void {
    const { bounds } = this;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        (this.buckets[i] as number)++;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.buckets.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
