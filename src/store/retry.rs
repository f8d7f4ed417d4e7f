//! Replies whose log write failed, kept and written again later, so that
//! answering residents never depends on the query log. The buffer is
//! bounded: past it the oldest records are dropped, and counted.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{ConversationWrite, ReplyRecord, Store, StoreError};
use crate::metrics::Metrics;

/// How often the kept records are written again.
const RETRY_INTERVAL: Duration = Duration::from_secs(1);

/// The query log as the channels write it: through to the store, or into
/// the retry buffer when the store fails.
pub struct ReplyLog {
    store: Arc<Store>,
    metrics: Arc<Metrics>,
    pending: Mutex<VecDeque<ReplyRecord>>,
    capacity: usize,
}

impl ReplyLog {
    /// Keeps at most `capacity` records that could not be written.
    pub fn new(store: Arc<Store>, metrics: Arc<Metrics>, capacity: usize) -> Arc<ReplyLog> {
        Arc::new(ReplyLog {
            store,
            metrics,
            pending: Mutex::new(VecDeque::new()),
            capacity: capacity.max(1),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<ReplyRecord>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The store the log writes to.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Writes a record, with the conversation's state when the store keeps
    /// conversations; if the store fails, keeps the record for a later
    /// attempt (the conversation's state is not kept: a later write could
    /// only bring back an older one). Never fails: the failure is counted
    /// and logged.
    pub async fn record(&self, record: ReplyRecord, conversation: Option<ConversationWrite>) {
        let written = match conversation {
            Some(conversation) => {
                self.store
                    .record_reply_with(record.clone(), conversation)
                    .await
            }
            None => self.store.record_reply(record.clone()).await,
        };
        if let Err(err) = written {
            self.failed(&err);
            self.keep(record);
        }
    }

    fn failed(&self, err: &StoreError) {
        self.metrics
            .count("madoguchi_log_write_failures_total", &[]);
        tracing::error!(error = %err, "a reply could not be written to the query log; kept to retry");
    }

    fn keep(&self, record: ReplyRecord) {
        let mut pending = self.lock();
        if pending.len() >= self.capacity {
            pending.pop_front();
            self.metrics.count("madoguchi_log_records_lost_total", &[]);
            tracing::error!(
                capacity = self.capacity,
                "the query log's retry buffer is full: the oldest record is lost"
            );
        }
        pending.push_back(record);
    }

    /// Records waiting to be written again.
    pub fn pending(&self) -> usize {
        self.lock().len()
    }

    /// Writes the kept records again, oldest first, until one fails.
    /// Returns how many were written.
    pub fn retry(&self) -> usize {
        let mut written = 0;
        loop {
            let Some(record) = self.lock().pop_front() else {
                return written;
            };
            match self.store.record_reply_blocking(record.clone()) {
                Ok(()) => written += 1,
                Err(err) => {
                    self.failed(&err);
                    self.lock().push_front(record);
                    return written;
                }
            }
        }
    }

    /// Retries every [`RETRY_INTERVAL`] on a thread of its own while the
    /// log is in use.
    pub fn retry_in_background(self: &Arc<Self>) {
        let log = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("log-retry".into())
            .spawn(move || {
                while let Some(log) = log.upgrade() {
                    let written = log.retry();
                    if written > 0 {
                        tracing::info!(written, "kept replies written to the query log");
                    }
                    drop(log);
                    std::thread::sleep(RETRY_INTERVAL);
                }
            });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start the query log's retry thread");
        }
    }
}
