//! Where a rehearsal's CPU went: the processor time of each watched process (the server, the
//! database, paysim) and of the load generator itself over the sale, read from Linux's `/proc`,
//! with the machine's total, so a report can say what one completed purchase cost each of them.
//! On a system without `/proc` nothing is measured and the report says so by leaving it out.

use serde::Serialize;
use std::str::FromStr;
use std::time::Instant;

/// A process (or processes) to measure, by name in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    pub name: String,
    pub which: Which,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Which {
    /// One process and the threads it has.
    Pid(u32),
    /// Every process whose command name (`/proc/PID/comm`) is this, e.g. `postgres`'s backends.
    Command(String),
}

impl FromStr for Watched {
    type Err = String;

    /// `NAME=PID` or `NAME=comm:COMMAND`.
    fn from_str(text: &str) -> Result<Self, String> {
        let (name, which) = text
            .split_once('=')
            .ok_or("expected NAME=PID or NAME=comm:COMMAND")?;
        let which = match which.strip_prefix("comm:") {
            Some(command) if !command.is_empty() => Which::Command(command.to_owned()),
            Some(_) => return Err("comm: needs a command name".into()),
            None => Which::Pid(
                which
                    .parse()
                    .map_err(|_| format!("`{which}` is not a process id"))?,
            ),
        };
        if name.is_empty() {
            return Err("the NAME before = is empty".into());
        }
        Ok(Self {
            name: name.to_owned(),
            which,
        })
    }
}

/// Clock ticks per second of `/proc`'s times: 100 on every Linux this runs on (`USER_HZ`).
const TICKS_PER_SECOND: f64 = 100.0;

/// Processor ticks (user + system) of one process, from `/proc/PID/stat`.
fn process_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: count fields after the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state(0) ... utime(11) stime(12).
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

fn ticks_of(which: &Which) -> Option<u64> {
    match which {
        Which::Pid(pid) => process_ticks(&pid.to_string()),
        Which::Command(command) => {
            let mut total = 0;
            for entry in std::fs::read_dir("/proc").ok()?.flatten() {
                let pid = entry.file_name().to_string_lossy().into_owned();
                if !pid.bytes().all(|b| b.is_ascii_digit()) {
                    continue;
                }
                let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                if comm.trim_end() == command {
                    total += process_ticks(&pid).unwrap_or(0);
                }
            }
            Some(total)
        }
    }
}

/// The machine's busy ticks (all but idle and iowait) and its processor count, from `/proc/stat`.
fn machine_ticks() -> Option<(u64, usize)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let total: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|n| n.parse().ok())
        .collect();
    let busy = total.iter().sum::<u64>() - total.get(3)? - total.get(4).unwrap_or(&0);
    let cpus = stat
        .lines()
        .filter(|line| line.starts_with("cpu") && !line.starts_with("cpu "))
        .count();
    Some((busy, cpus.max(1)))
}

/// The readings at the start of the sale.
pub struct CpuStart {
    at: Instant,
    machine: (u64, usize),
    own: u64,
    watched: Vec<(Watched, Option<u64>)>,
}

pub fn start(watched: &[Watched]) -> Option<CpuStart> {
    Some(CpuStart {
        at: Instant::now(),
        machine: machine_ticks()?,
        own: process_ticks("self")?,
        watched: watched
            .iter()
            .map(|w| (w.clone(), ticks_of(&w.which)))
            .collect(),
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct CpuSplit {
    pub seconds: f64,
    pub cpus: usize,
    /// Every process's share, and `other` for what the machine spent elsewhere.
    pub processes: Vec<ProcessCpu>,
    /// The whole machine's busy time over the sale, in percent of one processor.
    pub machine_percent: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProcessCpu {
    pub name: String,
    pub cpu_seconds: f64,
    /// Percent of one processor over the sale (200 % is the whole of two).
    pub percent: f64,
    /// Milliseconds of processor per completed purchase.
    pub ms_per_purchase: Option<f64>,
    /// Share of the machine's busy time.
    pub share_percent: f64,
}

impl CpuStart {
    /// The split from the start until now, per completed purchase when there were some.
    pub fn finish(self, purchases: u64) -> Option<CpuSplit> {
        let seconds = self.at.elapsed().as_secs_f64().max(0.001);
        let (busy_now, cpus) = machine_ticks()?;
        let busy = busy_now.saturating_sub(self.machine.0) as f64 / TICKS_PER_SECOND;
        let mut processes = vec![(
            "load generator".to_owned(),
            process_ticks("self")?.saturating_sub(self.own) as f64 / TICKS_PER_SECOND,
        )];
        for (watched, before) in self.watched {
            let used = match (before, ticks_of(&watched.which)) {
                (Some(before), Some(now)) => now.saturating_sub(before) as f64 / TICKS_PER_SECOND,
                _ => continue,
            };
            processes.push((watched.name, used));
        }
        let named: f64 = processes.iter().map(|(_, used)| used).sum();
        processes.push(("other".to_owned(), (busy - named).max(0.0)));
        let share_base = busy.max(named).max(0.001);
        Some(CpuSplit {
            seconds,
            cpus,
            machine_percent: busy / seconds * 100.0,
            processes: processes
                .into_iter()
                .map(|(name, used)| ProcessCpu {
                    name,
                    cpu_seconds: used,
                    percent: used / seconds * 100.0,
                    ms_per_purchase: (purchases > 0).then(|| used * 1000.0 / purchases as f64),
                    share_percent: used / share_base * 100.0,
                })
                .collect(),
        })
    }
}

impl CpuSplit {
    /// The split as the report's text table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "processor time over {:.1} s ({} processors; the machine was {:.0} % busy of {} %)\n",
            self.seconds,
            self.cpus,
            self.machine_percent,
            self.cpus * 100
        );
        out.push_str(&format!(
            "{:<16} {:>9} {:>9} {:>12} {:>8}\n",
            "process", "cpu s", "% of one", "ms/purchase", "share"
        ));
        for process in &self.processes {
            out.push_str(&format!(
                "{:<16} {:>9.1} {:>9.0} {:>12} {:>7.0}%\n",
                process.name,
                process.cpu_seconds,
                process.percent,
                process
                    .ms_per_purchase
                    .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.2}")),
                process.share_percent
            ));
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_watched_process_is_named_by_pid_or_by_command() {
        assert_eq!(
            "server=42".parse::<Watched>(),
            Ok(Watched {
                name: "server".into(),
                which: Which::Pid(42)
            })
        );
        assert_eq!(
            "database=comm:postgres".parse::<Watched>(),
            Ok(Watched {
                name: "database".into(),
                which: Which::Command("postgres".into())
            })
        );
        assert!("server".parse::<Watched>().is_err());
        assert!("=42".parse::<Watched>().is_err());
        assert!("server=abc".parse::<Watched>().is_err());
        assert!("database=comm:".parse::<Watched>().is_err());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_split_counts_this_process_and_the_rest_of_the_machine() {
        let start = start(&[Watched {
            name: "me again".into(),
            which: Which::Pid(std::process::id()),
        }])
        .expect("Linux has /proc");
        // Burn a little processor time so there is something to count.
        let until = Instant::now() + std::time::Duration::from_millis(100);
        let mut spin = 0u64;
        while Instant::now() < until {
            spin = spin.wrapping_add(1);
        }
        std::hint::black_box(spin);
        let split = start.finish(10).expect("/proc was there at the start");
        let names: Vec<&str> = split.processes.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["load generator", "me again", "other"]);
        let own = &split.processes[0];
        assert!(own.cpu_seconds > 0.0, "{split:?}");
        assert_eq!(own.cpu_seconds, split.processes[1].cpu_seconds);
        assert!(own.ms_per_purchase.is_some());
    }
}
