//! What the store's measurement examples share: many tasks sending write after write.

use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// A write sent to a writer that answers each one.
pub type Job<T> = (T, oneshot::Sender<Result<(), String>>);

/// Runs `write(i)` for every `i` below `count` from `tasks` concurrent tasks (task `t` takes
/// `t`, `t + tasks`, …) and answers how long it all took.
pub async fn from_tasks<W, F>(count: u64, tasks: u64, write: W) -> anyhow::Result<Duration>
where
    W: Fn(u64) -> F + Clone + Send + 'static,
    F: Future<Output = anyhow::Result<()>> + Send,
{
    let started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for task in 0..tasks {
        let write = write.clone();
        running.spawn(async move {
            let mut i = task;
            while i < count {
                write(i).await?;
                i += tasks;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = running.join_next().await {
        done??;
    }
    Ok(started.elapsed())
}

/// Sends `write` to the writer and waits for its answer.
pub async fn ask<T>(writer: &mpsc::Sender<Job<T>>, write: T) -> anyhow::Result<()> {
    let (answer, answered) = oneshot::channel();
    writer
        .send((write, answer))
        .await
        .map_err(|_| anyhow::anyhow!("the writer stopped"))?;
    answered.await?.map_err(anyhow::Error::msg)
}
