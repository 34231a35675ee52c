//! When to refresh the database's planner statistics. PostgreSQL plans from sampled statistics that autovacuum
//! refreshes after a tenth of a table has changed, a minute later at best, and never where it is switched off.
//! Planned for a table a tenth of its real size, the duplicate check of every award and the listings chose
//! the wrong index (awards fell from about 1,000/s to 377/s on 21,000 credentials; a listing sorted a million
//! rows). So microcred counts what it inserts and asks for a refresh on the same rule autovacuum uses.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::Microcred;

/// Rows inserted before the first refresh, and the fixed part of every later threshold (autovacuum's
/// `autovacuum_analyze_threshold` is 50; a refresh costs a sample of 3,000 rows, so not that often).
const BASE: u64 = 1_000;

/// Counts inserted credentials against the next refresh.
#[derive(Debug)]
pub struct Growth {
    since: AtomicU64,
    threshold: AtomicU64,
    running: AtomicBool,
}

impl Default for Growth {
    fn default() -> Self {
        Self { since: AtomicU64::new(0), threshold: AtomicU64::new(BASE), running: AtomicBool::new(false) }
    }
}

impl Microcred {
    /// Notes `n` inserted credentials; once they reach the threshold (1,000 plus a tenth of the rows the last
    /// refresh counted), refreshes the statistics in the background. The request that crossed it is answered
    /// at once, one refresh runs at a time, and a failure only leaves plans as they were, so it is logged.
    pub(super) fn note_inserted(&self, n: u64) {
        let growth = &self.statistics;
        if growth.since.fetch_add(n, Ordering::AcqRel) + n < growth.threshold.load(Ordering::Acquire)
            || growth.running.swap(true, Ordering::AcqRel)
        {
            return;
        }
        growth.since.store(0, Ordering::Release);
        let (store, growth) = (std::sync::Arc::clone(&self.store), std::sync::Arc::clone(&self.statistics));
        tokio::spawn(async move {
            match store.refresh_statistics().await {
                Ok(Some(rows)) => growth.threshold.store(BASE + rows / 10, Ordering::Release),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "could not refresh the database's planner statistics"),
            }
            growth.running.store(false, Ordering::Release);
        });
    }
}
