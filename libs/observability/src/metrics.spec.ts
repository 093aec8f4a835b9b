import { Metrics } from './metrics';
import { metricsReadable } from './metrics-access';

describe('Metrics', () => {
  it('counts job ends and observes their durations in seconds, labelled by kind and status only', async () => {
    const m = new Metrics('worker');
    m.jobEnded('export', 'SUCCEEDED', 1500);
    m.jobEnded('export', 'SUCCEEDED', 90_000);
    m.jobEnded('segment', 'FAILED');
    const text = await m.text();
    expect(text).toContain('sx_jobs_ended_total{kind="export",status="SUCCEEDED",app="worker"} 2');
    expect(text).toContain('sx_jobs_ended_total{kind="segment",status="FAILED",app="worker"} 1');
    expect(text).toContain('sx_job_duration_seconds_bucket{le="2.5",app="worker",kind="export",status="SUCCEEDED"} 1');
    expect(text).toContain('sx_job_duration_seconds_bucket{le="120",app="worker",kind="export",status="SUCCEEDED"} 2');
    expect(text).toContain('sx_job_duration_seconds_sum{app="worker",kind="export",status="SUCCEEDED"} 91.5');
    // A job without a known duration is counted, not observed.
    expect(text).not.toContain('sx_job_duration_seconds_count{app="worker",kind="segment"');
  });

  it('adds exported profiles and the export’s throughput', async () => {
    const m = new Metrics('worker');
    m.exported(20_000, 2000);
    m.exported(0, 0);
    const text = await m.text();
    expect(text).toContain('sx_exported_profiles_total{app="worker"} 20000');
    expect(text).toContain('sx_export_profiles_per_second_bucket{le="10000",app="worker"} 1');
    expect(text).toContain('sx_export_profiles_per_second_count{app="worker"} 1');
  });

  it('keeps each process’s registry apart, with the process metrics', async () => {
    const a = new Metrics('api');
    const b = new Metrics('worker');
    a.jobEnded('promotion', 'success', 10);
    expect(await b.text()).not.toContain('kind="promotion"');
    expect(await a.text()).toMatch(/^process_cpu_user_seconds_total\{app="api"\} /m);
    expect(a.contentType).toMatch(/^text\/plain/);
  });
});

describe('metricsReadable', () => {
  it('lets anyone read without a token, and only the exact bearer token with one', () => {
    expect(metricsReadable(undefined, undefined)).toBe(true);
    expect(metricsReadable('t'.repeat(16), `Bearer ${'t'.repeat(16)}`)).toBe(true);
    expect(metricsReadable('t'.repeat(16), undefined)).toBe(false);
    expect(metricsReadable('t'.repeat(16), `Bearer ${'t'.repeat(15)}`)).toBe(false);
    expect(metricsReadable('t'.repeat(16), `bearer ${'t'.repeat(16)}`)).toBe(false);
  });
});
