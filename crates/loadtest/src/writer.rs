//! How busy the SQLite writer was over the sale, from the server's `/metrics` read at its start
//! and end: every write transaction waits for the one writer connection, so its share of the
//! run tells whether the writer is what limits the sale.

use serde::Serialize;
use std::collections::BTreeMap;

/// The writer's counters at one moment: seconds summed and how many, per histogram, over
/// every kind of write; and the time held per kind (`kind` label: the operation it was for).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriterCounters {
    held: (f64, f64),
    waited: (f64, f64),
    commits: (f64, f64),
    held_by_kind: BTreeMap<String, (f64, f64)>,
}

/// The value of each line of `metrics` for `name` (unlabelled or with labels), with its
/// `kind` label when it has one.
fn samples<'m>(metrics: &'m str, name: &'m str) -> impl Iterator<Item = (&'m str, f64)> + 'm {
    metrics.lines().filter_map(move |line| {
        let rest = line.strip_prefix(name)?;
        let (labels, value) = match rest.strip_prefix('{') {
            Some(labelled) => labelled.split_once("} ")?,
            None => ("", rest.strip_prefix(' ')?),
        };
        let kind = labels
            .split(',')
            .find_map(|label| label.strip_prefix("kind=\""))
            .and_then(|kind| kind.strip_suffix('"'))
            .unwrap_or("");
        Some((kind, value.trim().parse::<f64>().ok()?))
    })
}

impl WriterCounters {
    /// Reads the counters from Prometheus text; `None` when the server has no SQLite writer.
    pub fn parse(metrics: &str) -> Option<Self> {
        let pair = |histogram: &str| {
            let sum = format!("{histogram}_sum");
            let count = format!("{histogram}_count");
            let mut found = samples(metrics, &sum).peekable();
            found.peek()?;
            Some((
                found.map(|(_, value)| value).sum::<f64>(),
                samples(metrics, &count)
                    .map(|(_, value)| value)
                    .sum::<f64>(),
            ))
        };
        let mut held_by_kind: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for (kind, sum) in samples(metrics, "sqlite_writer_held_seconds_sum") {
            held_by_kind.entry(kind.to_owned()).or_default().0 += sum;
        }
        for (kind, count) in samples(metrics, "sqlite_writer_held_seconds_count") {
            held_by_kind.entry(kind.to_owned()).or_default().1 += count;
        }
        Some(Self {
            held: pair("sqlite_writer_held_seconds")?,
            waited: pair("sqlite_writer_wait_seconds")?,
            commits: pair("sqlite_commit_seconds").unwrap_or_default(),
            held_by_kind,
        })
    }

    /// What happened between `self` (the start) and `end`, over `seconds` with `purchases`.
    pub fn until(&self, end: &Self, seconds: f64, purchases: u64) -> WriterLoad {
        let delta = |(sum0, n0): (f64, f64), (sum1, n1): (f64, f64)| (sum1 - sum0, n1 - n0);
        let (held, writes) = delta(self.held, end.held);
        let (waited, waits) = delta(self.waited, end.waited);
        let (committing, commits) = delta(self.commits, end.commits);
        let per = |total: f64, n: f64| if n > 0.0 { total / n } else { 0.0 };
        let mut by_kind: Vec<WriteKind> = end
            .held_by_kind
            .iter()
            .map(|(kind, &after)| {
                let before = self.held_by_kind.get(kind).copied().unwrap_or_default();
                let (held, writes) = delta(before, after);
                WriteKind {
                    kind: if kind.is_empty() { "other" } else { kind }.to_owned(),
                    writes: writes as u64,
                    held_share: if seconds > 0.0 { held / seconds } else { 0.0 },
                    held_ms_per_write: per(held, writes) * 1e3,
                }
            })
            .filter(|kind| kind.writes > 0)
            .collect();
        by_kind.sort_by(|a, b| b.held_share.total_cmp(&a.held_share));
        WriterLoad {
            seconds,
            writes: writes as u64,
            commits: commits as u64,
            busy_share: if seconds > 0.0 {
                (held + committing) / seconds
            } else {
                0.0
            },
            writes_per_purchase: per(writes, purchases as f64),
            held_ms_per_write: per(held, writes) * 1e3,
            waited_ms_per_write: per(waited, waits) * 1e3,
            ms_per_commit: per(committing, commits) * 1e3,
            by_kind,
        }
    }
}

/// One kind of write over a sale: how many, and how long they held the writer.
#[derive(Clone, Debug, Serialize)]
pub struct WriteKind {
    pub kind: String,
    pub writes: u64,
    /// The share of the run writes of this kind held the writer.
    pub held_share: f64,
    pub held_ms_per_write: f64,
}

/// The SQLite writer over a sale.
#[derive(Clone, Debug, Serialize)]
pub struct WriterLoad {
    pub seconds: f64,
    pub writes: u64,
    pub commits: u64,
    /// The share of the run the writer was held by a write or committing a batch (1 = always).
    pub busy_share: f64,
    pub writes_per_purchase: f64,
    pub held_ms_per_write: f64,
    pub waited_ms_per_write: f64,
    pub ms_per_commit: f64,
    /// Each kind of write, the one that held the writer longest first.
    pub by_kind: Vec<WriteKind>,
}

impl WriterLoad {
    pub fn line(&self) -> String {
        let mut line = format!(
            "SQLite writer busy {:.0} % of {:.1} s: {} writes ({:.1} per purchase) held it {:.2} ms \
             each after waiting {:.1} ms for it; {} commits of {:.2} ms\n",
            self.busy_share * 100.0,
            self.seconds,
            self.writes,
            self.writes_per_purchase,
            self.held_ms_per_write,
            self.waited_ms_per_write,
            self.commits,
            self.ms_per_commit,
        );
        for kind in &self.by_kind {
            line.push_str(&format!(
                "  {:<28} {:>8} writes, {:.2} ms each, {:.0} % of the run\n",
                kind.kind,
                kind.writes,
                kind.held_ms_per_write,
                kind.held_share * 100.0
            ));
        }
        line.push('\n');
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(held: (f64, u64), waited: (f64, u64), commits: (f64, u64)) -> String {
        format!(
            "# TYPE sqlite_writer_held_seconds summary\n\
             sqlite_writer_held_seconds{{quantile=\"0.5\"}} 0.0005\n\
             sqlite_writer_held_seconds_sum {}\nsqlite_writer_held_seconds_count {}\n\
             sqlite_writer_wait_seconds_sum {}\nsqlite_writer_wait_seconds_count {}\n\
             sqlite_commit_seconds_sum {}\nsqlite_commit_seconds_count {}\n\
             http_requests_total{{route=\"/x\"}} 3\n",
            held.0, held.1, waited.0, waited.1, commits.0, commits.1
        )
    }

    #[test]
    fn the_writer_share_is_what_the_counters_grew_by_over_the_run() {
        let start = WriterCounters::parse(&text((1.0, 100), (2.0, 100), (0.5, 10))).unwrap();
        let end =
            WriterCounters::parse(&text((7.0, 10_100), (52.0, 10_100), (2.5, 1_010))).unwrap();
        let load = start.until(&end, 10.0, 2_500);
        assert_eq!(load.writes, 10_000);
        assert_eq!(load.commits, 1_000);
        assert!((load.busy_share - 0.8).abs() < 1e-9, "{load:?}");
        assert!((load.writes_per_purchase - 4.0).abs() < 1e-9);
        assert!((load.held_ms_per_write - 0.6).abs() < 1e-9);
        assert!((load.waited_ms_per_write - 5.0).abs() < 1e-9);
        assert!((load.ms_per_commit - 2.0).abs() < 1e-9);
        assert!(
            load.line()
                .starts_with("SQLite writer busy 80 % of 10.0 s: 10000 writes (4.0 per purchase)")
        );
    }

    #[test]
    fn writes_are_summed_over_their_kinds_and_told_apart() {
        let text = |hold: f64, holds: u64| {
            format!(
                "sqlite_writer_held_seconds_sum{{kind=\"hold\"}} {hold}\n\
                 sqlite_writer_held_seconds_count{{kind=\"hold\"}} {holds}\n\
                 sqlite_writer_held_seconds_sum{{kind=\"settle_order\"}} 1\n\
                 sqlite_writer_held_seconds_count{{kind=\"settle_order\"}} 1000\n\
                 sqlite_writer_wait_seconds_sum{{kind=\"hold\"}} 1\n\
                 sqlite_writer_wait_seconds_count{{kind=\"hold\"}} {holds}\n"
            )
        };
        let start = WriterCounters::parse(&text(1.0, 1_000)).unwrap();
        let end = WriterCounters::parse(&text(4.0, 3_000)).unwrap();
        let load = start.until(&end, 10.0, 1_000);
        assert_eq!(load.writes, 2_000);
        assert_eq!(
            load.by_kind.len(),
            1,
            "settle_order wrote nothing in between"
        );
        assert_eq!(load.by_kind[0].kind, "hold");
        assert!((load.by_kind[0].held_ms_per_write - 1.5).abs() < 1e-9);
        assert!((load.by_kind[0].held_share - 0.3).abs() < 1e-9);
        assert!(load.line().contains("hold"), "{}", load.line());
    }

    #[test]
    fn a_server_without_a_sqlite_writer_has_no_writer_counters() {
        assert_eq!(WriterCounters::parse("http_requests_total 3\n"), None);
        assert_eq!(WriterCounters::parse(""), None);
    }
}
