/** Prometheus text exposition, kept in memory; one instance per router process. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type RouterMetrics = {
  request(labels: { provider: string; signal: string; status: number }): void;
  upstreamLatency(provider: string, seconds: number): void;
  /** Fleet-level login outcomes (issue 12): by provider and outcome only; per-organization detail lives in the API. */
  loginOutcome(provider: string, outcome: string): void;
  render(extra?: string): string;
};

export function routerMetrics(): RouterMetrics {
  const requests = new Map<string, number>();
  // provider -> outcome -> count: no label string built on the request path.
  const outcomes = new Map<string, Map<string, number>>();
  const latency = new Map<string, { buckets: number[]; sum: number; count: number }>();
  return {
    request({ provider, signal, status }) {
      const key = `provider="${provider}",signal="${signal}",status="${status}"`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
    },
    loginOutcome(provider, outcome) {
      let byOutcome = outcomes.get(provider);
      if (!byOutcome) outcomes.set(provider, (byOutcome = new Map()));
      byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    },
    upstreamLatency(provider, seconds) {
      let h = latency.get(provider);
      if (!h) latency.set(provider, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
      for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.buckets[i]!++;
      h.sum += seconds;
      h.count++;
    },
    render(extra = "") {
      const lines = ["# HELP ssomig_requests_total Requests routed, by provider, winning signal and status.", "# TYPE ssomig_requests_total counter"];
      for (const [labels, n] of requests) lines.push(`ssomig_requests_total{${labels}} ${n}`);
      lines.push("# HELP ssomig_upstream_latency_seconds Time to the provider's response headers.", "# TYPE ssomig_upstream_latency_seconds histogram");
      for (const [provider, h] of latency) {
        BUCKETS.forEach((le, i) => lines.push(`ssomig_upstream_latency_seconds_bucket{provider="${provider}",le="${le}"} ${h.buckets[i]}`));
        lines.push(`ssomig_upstream_latency_seconds_bucket{provider="${provider}",le="+Inf"} ${h.count}`);
        lines.push(`ssomig_upstream_latency_seconds_sum{provider="${provider}"} ${h.sum}`);
        lines.push(`ssomig_upstream_latency_seconds_count{provider="${provider}"} ${h.count}`);
      }
      lines.push("# HELP ssomig_login_outcomes_total Login flows started, succeeded and failed, and token exchanges, by provider and outcome.", "# TYPE ssomig_login_outcomes_total counter");
      for (const [provider, byOutcome] of outcomes) for (const [outcome, n] of byOutcome) lines.push(`ssomig_login_outcomes_total{provider="${provider}",outcome="${outcome}"} ${n}`);
      return lines.join("\n") + "\n" + extra;
    },
  };
}
