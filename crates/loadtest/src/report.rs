//! What a rehearsal measured: per step and end to end, latency histograms (HdrHistogram) and a
//! per-second timeline, errors by their API `code`; printed as a table, saved as JSON and as a
//! self-contained HTML page with its charts drawn in inline SVG.

use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::cpu::CpuSplit;
use crate::writer::WriterLoad;

pub const STEPS: [&str; 6] = ["queue", "seat_map", "hold", "order", "tickets", "purchase"];

struct StepData {
    latency: Histogram<u64>,
    ok: u64,
    errors: BTreeMap<String, u64>,
}

impl StepData {
    fn new() -> Self {
        Self {
            // Microseconds, up to 10 minutes, 3 significant digits.
            latency: Histogram::new_with_bounds(1, 600_000_000, 3)
                .unwrap_or_else(|_| unreachable!()),
            ok: 0,
            errors: BTreeMap::new(),
        }
    }
}

#[derive(Default)]
struct Second {
    purchases: u64,
    errors: u64,
    latencies_us: Vec<u64>,
}

/// Collects measurements from every journey; cheap enough to share behind one mutex.
pub struct Recorder {
    steps: Mutex<BTreeMap<&'static str, StepData>>,
    timeline: Mutex<Vec<Second>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        Self {
            steps: Mutex::new(STEPS.iter().map(|s| (*s, StepData::new())).collect()),
            timeline: Mutex::new(Vec::new()),
        }
    }

    /// One step's outcome: `Ok` or the error `code`, with its latency.
    pub fn step(&self, step: &'static str, latency: Duration, outcome: Result<(), String>) {
        let mut steps = self.steps.lock().unwrap_or_else(|p| p.into_inner());
        let data = steps.entry(step).or_insert_with(StepData::new);
        let _ = data
            .latency
            .record(latency.as_micros().clamp(1, 600_000_000) as u64);
        match outcome {
            Ok(()) => data.ok += 1,
            Err(code) => *data.errors.entry(code).or_default() += 1,
        }
    }

    /// A journey ended at `second` (since the start): a purchase or not, with the end-to-end
    /// latency measured from when it was scheduled to start.
    pub fn journey(&self, second: usize, purchased: bool, latency: Duration) {
        let mut timeline = self.timeline.lock().unwrap_or_else(|p| p.into_inner());
        if timeline.len() <= second {
            timeline.resize_with(second + 1, Second::default);
        }
        let slot = &mut timeline[second];
        if purchased {
            slot.purchases += 1;
            slot.latencies_us.push(latency.as_micros() as u64);
        } else {
            slot.errors += 1;
        }
    }

    pub fn purchases(&self) -> u64 {
        self.steps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get("purchase")
            .map_or(0, |s| s.ok)
    }

    pub fn report(&self, meta: RunInfo, audit: Audit, cpu: Option<CpuSplit>) -> Report {
        let steps = self.steps.lock().unwrap_or_else(|p| p.into_inner());
        let seconds = meta.measured_seconds.max(0.001);
        let purchases = steps.get("purchase").map_or(0, |s| s.ok);
        let step_reports = STEPS
            .iter()
            .filter_map(|name| steps.get(name).map(|data| (name, data)))
            .filter(|(_, data)| !data.latency.is_empty())
            .map(|(name, data)| {
                let ms = |q: f64| data.latency.value_at_quantile(q) as f64 / 1000.0;
                StepReport {
                    step: (*name).to_owned(),
                    ok: data.ok,
                    errors: data.errors.clone(),
                    per_second: data.ok as f64 / seconds,
                    p50_ms: ms(0.50),
                    p90_ms: ms(0.90),
                    p99_ms: ms(0.99),
                    max_ms: data.latency.max() as f64 / 1000.0,
                }
            })
            .collect();
        let timeline = self
            .timeline
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter_mut()
            .enumerate()
            .map(|(second, slot)| {
                slot.latencies_us.sort_unstable();
                let pick = |q: f64| {
                    if slot.latencies_us.is_empty() {
                        0.0
                    } else {
                        let i = ((slot.latencies_us.len() as f64 - 1.0) * q).round() as usize;
                        slot.latencies_us[i] as f64 / 1000.0
                    }
                };
                SecondReport {
                    second,
                    purchases: slot.purchases,
                    errors: slot.errors,
                    p50_ms: pick(0.5),
                    p99_ms: pick(0.99),
                }
            })
            .collect();
        Report {
            purchases_per_second_during_arrivals: meta.purchases_during_arrivals as f64
                / (meta.planned_seconds as f64).max(0.001),
            run: meta,
            purchases_per_second: purchases as f64 / seconds,
            cpu,
            sqlite_writer: None,
            steps: step_reports,
            timeline,
            audit,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    pub target: String,
    pub started_at: String,
    pub backend: String,
    pub target_rate: f64,
    pub planned_seconds: u64,
    pub measured_seconds: f64,
    pub arrivals: u64,
    /// Arrivals that started more than 100 ms after their scheduled time (the generator or the
    /// machine could not keep up).
    pub late_arrivals: u64,
    /// Arrivals not started because the in-flight limit was reached.
    pub shed_arrivals: u64,
    pub interrupted: bool,
    pub purchases_during_arrivals: u64,
    pub seats: u64,
    pub standing: u64,
    pub buyers: u64,
    pub queue: bool,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Audit {
    pub ok: bool,
    pub checks: Vec<String>,
    pub failures: Vec<String>,
    pub integrity: serde_json::Value,
}

#[derive(Clone, Debug, Serialize)]
pub struct StepReport {
    pub step: String,
    pub ok: u64,
    pub errors: BTreeMap<String, u64>,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SecondReport {
    pub second: usize,
    pub purchases: u64,
    pub errors: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub run: RunInfo,
    /// Every purchase over the whole run, the drain of journeys under way included.
    pub purchases_per_second: f64,
    /// Purchases completed while arrivals were due, over the arrivals' planned seconds.
    pub purchases_per_second_during_arrivals: f64,
    /// Where the processor time went over the run, when the machine says (Linux).
    pub cpu: Option<CpuSplit>,
    /// How busy the SQLite writer was, when the server runs on SQLite and shows its metrics.
    pub sqlite_writer: Option<WriterLoad>,
    pub steps: Vec<StepReport>,
    pub timeline: Vec<SecondReport>,
    pub audit: Audit,
}

impl Report {
    pub fn table(&self) -> String {
        let mut out = format!(
            "\n{} purchases/s over {:.1} s (target {} arrivals/s{}{}), {} arrivals, {} late, {} shed\n\n",
            fmt(self.purchases_per_second),
            self.run.measured_seconds,
            self.run.target_rate,
            if self.run.queue {
                ", through the waiting room"
            } else {
                ""
            },
            if self.run.interrupted {
                ", INTERRUPTED"
            } else {
                ""
            },
            self.run.arrivals,
            self.run.late_arrivals,
            self.run.shed_arrivals,
        );
        out.push_str(&format!(
            "{} purchases/s while arrivals were due ({} in {} s)\n\n",
            fmt(self.purchases_per_second_during_arrivals),
            self.run.purchases_during_arrivals,
            self.run.planned_seconds
        ));
        out.push_str(&format!(
            "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  errors\n",
            "step", "ok", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms"
        ));
        for step in &self.steps {
            let errors: Vec<String> = step
                .errors
                .iter()
                .map(|(code, n)| format!("{code}={n}"))
                .collect();
            out.push_str(&format!(
                "{:<10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}  {}\n",
                step.step,
                step.ok,
                fmt(step.per_second),
                fmt(step.p50_ms),
                fmt(step.p90_ms),
                fmt(step.p99_ms),
                fmt(step.max_ms),
                errors.join(" ")
            ));
        }
        out.push_str("(purchase: end to end, measured from each buyer's scheduled arrival, so queueing delays count)\n\n");
        if let Some(cpu) = &self.cpu {
            out.push_str(&cpu.table());
        }
        if let Some(writer) = &self.sqlite_writer {
            out.push_str(&writer.line());
        }
        out.push_str(&format!(
            "audit: {}\n",
            if self.audit.ok { "PASSED" } else { "FAILED" }
        ));
        for check in &self.audit.checks {
            out.push_str(&format!("  ok   {check}\n"));
        }
        for failure in &self.audit.failures {
            out.push_str(&format!("  FAIL {failure}\n"));
        }
        out
    }

    pub fn html(&self) -> String {
        let throughput: Vec<f64> = self.timeline.iter().map(|s| s.purchases as f64).collect();
        let p50: Vec<f64> = self.timeline.iter().map(|s| s.p50_ms).collect();
        let p99: Vec<f64> = self.timeline.iter().map(|s| s.p99_ms).collect();
        let rows: String = self
            .steps
            .iter()
            .map(|s| {
                let errors: Vec<String> = s.errors.iter().map(|(c, n)| format!("{} {}", escape(c), n)).collect();
                format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&s.step), s.ok, fmt(s.per_second), fmt(s.p50_ms), fmt(s.p90_ms), fmt(s.p99_ms), fmt(s.max_ms), errors.join(", ")
                )
            })
            .collect();
        let audit: String = self
            .audit
            .checks
            .iter()
            .map(|c| format!("<li class=ok>{}</li>", escape(c)))
            .chain(
                self.audit
                    .failures
                    .iter()
                    .map(|f| format!("<li class=fail>{}</li>", escape(f))),
            )
            .collect();
        let json = serde_json::to_string(self)
            .unwrap_or_default()
            .replace("</", "<\\/");
        format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bilheteria loadtest</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;color:#222}}table{{border-collapse:collapse}}td,th{{padding:.3rem .7rem;border-bottom:1px solid #ddd;text-align:right}}td:first-child,th:first-child{{text-align:left}}.ok{{color:#0a0}}.fail{{color:#c00;font-weight:bold}}svg{{background:#fafafa;border:1px solid #ddd}}</style></head><body>
<h1>On-sale rehearsal: {pps} purchases/s</h1>
<p>Target {target} against {url} ({backend}), {secs:.1} s measured, {arrivals} arrivals ({late} late, {shed} shed){interrupted}. Started {started}.</p>
<h2>Audit: {verdict}</h2><ul>{audit}</ul>
<h2>Steps</h2><table><tr><th>step</th><th>ok</th><th>per s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th><th>errors</th></tr>{rows}</table>
<p>The purchase row is end to end, measured from each buyer's scheduled arrival (corrected for coordinated omission).</p>
<h2>Purchases per second</h2>{chart1}
<h2>Purchase latency per second (ms): p50 (blue), p99 (red)</h2>{chart2}
<script type="application/json" id="report">{json}</script></body></html>"#,
            pps = fmt(self.purchases_per_second),
            target = self.run.target_rate,
            url = escape(&self.run.target),
            backend = escape(&self.run.backend),
            secs = self.run.measured_seconds,
            arrivals = self.run.arrivals,
            late = self.run.late_arrivals,
            shed = self.run.shed_arrivals,
            interrupted = if self.run.interrupted {
                ", interrupted"
            } else {
                ""
            },
            started = escape(&self.run.started_at),
            verdict = if self.audit.ok { "passed" } else { "FAILED" },
            chart1 = svg_chart(&[(&throughput, "#2a6")]),
            chart2 = svg_chart(&[(&p50, "#36c"), (&p99, "#c33")]),
        )
    }
}

fn fmt(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A line chart of series sharing one scale, as inline SVG.
fn svg_chart(series: &[(&Vec<f64>, &str)]) -> String {
    let (width, height, pad) = (720.0, 220.0, 30.0);
    let points = series
        .iter()
        .map(|(s, _)| s.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let top = series
        .iter()
        .flat_map(|(s, _)| s.iter().copied())
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut svg =
        format!(r#"<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}">"#);
    svg.push_str(&format!(
        r##"<text x="2" y="14" font-size="11">{}</text><text x="2" y="{}" font-size="11">0</text><text x="{}" y="{}" font-size="11">{} s</text>"##,
        fmt(top),
        height - pad,
        width - 40.0,
        height - 8.0,
        points - 1
    ));
    for (values, color) in series {
        let line: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let x = pad + (width - 2.0 * pad) * i as f64 / (points - 1) as f64;
                let y = height - pad - (height - 2.0 * pad) * v / top;
                format!("{x:.1},{y:.1}")
            })
            .collect();
        svg.push_str(&format!(
            r#"<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{}"/>"#,
            line.join(" ")
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> RunInfo {
        RunInfo {
            target: "http://127.0.0.1:8080".into(),
            started_at: "2026-11-24T00:00:00Z".into(),
            backend: "sqlite".into(),
            target_rate: 10.0,
            planned_seconds: 2,
            measured_seconds: 2.0,
            arrivals: 3,
            late_arrivals: 0,
            shed_arrivals: 0,
            interrupted: false,
            purchases_during_arrivals: 1,
            seats: 10,
            standing: 0,
            buyers: 3,
            queue: false,
        }
    }

    #[test]
    fn the_report_counts_steps_errors_and_seconds() {
        let recorder = Recorder::new();
        recorder.step("hold", Duration::from_millis(4), Ok(()));
        recorder.step(
            "hold",
            Duration::from_millis(8),
            Err("seat_unavailable".into()),
        );
        recorder.step("purchase", Duration::from_millis(200), Ok(()));
        recorder.journey(0, true, Duration::from_millis(200));
        recorder.journey(1, false, Duration::from_millis(50));
        let report = recorder.report(
            info(),
            Audit {
                ok: true,
                ..Audit::default()
            },
            None,
        );
        let hold = report.steps.iter().find(|s| s.step == "hold").unwrap();
        assert_eq!((hold.ok, hold.errors["seat_unavailable"]), (1, 1));
        assert!((hold.p99_ms - 8.0).abs() < 0.1);
        assert_eq!(report.purchases_per_second, 0.5);
        assert_eq!(report.purchases_per_second_during_arrivals, 0.5);
        assert_eq!(report.timeline.len(), 2);
        assert!(report.table().contains("audit: PASSED"));
        let html = report.html();
        assert!(html.contains("<svg") && html.contains("seat_unavailable"));
        assert!(!html.contains("<script src"), "self-contained");
    }
}
