//! The workers of one replica: they claim queued events from the store (the
//! oldest of each chat, so a chat's events are answered in order), answer
//! them, and delete them. The webhook wakes them when it queues events;
//! they also look every [`POLL`] for events other replicas left behind. A
//! heartbeat keeps this replica's claims; on a clean stop it finishes what
//! it is answering and hands the rest back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::{Notify, Semaphore};

use super::responder::Responder;
use super::webhook::Event;
use crate::store::Store;
use crate::store::queue::Claimed;

/// How often idle workers look for events queued by other replicas or
/// left behind by one that died.
const POLL: Duration = Duration::from_millis(500);

/// How often a replica says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(1);

/// A replica not heard from for this long is taken for dead, and its
/// claimed events are answered by another: well within the minute or so a
/// reply token lasts.
pub const ALIVE: Duration = Duration::from_secs(5);

/// What the webhook and the stop share with the workers.
pub(super) struct Signals {
    /// Rung when events are queued or a chat's event is answered.
    pub wake: Notify,
    /// Set on stop: claim nothing more.
    pub stopping: AtomicBool,
}

impl Signals {
    pub fn new() -> Signals {
        Signals {
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
        }
    }
}

/// One replica's workers.
pub(super) struct Dispatcher {
    pub store: Arc<Store>,
    pub responder: Arc<Responder>,
    /// This process's id among the replicas.
    pub replica: String,
    /// Events answered at once.
    pub workers: usize,
    pub signals: Arc<Signals>,
}

impl Dispatcher {
    /// Claims and answers events until stopped; then waits for those being
    /// answered and hands back the rest.
    pub async fn run(self) {
        let slots = Arc::new(Semaphore::new(self.workers.max(1)));
        // Alive before the first claim, so that no other replica takes over
        // what this one claims.
        beat(&self.store, &self.replica).await;
        let heartbeat = tokio::spawn(heartbeat(self.store.clone(), self.replica.clone()));
        let (answered, answers) = tokio::sync::mpsc::unbounded_channel();
        let finisher = tokio::spawn(finish(self.store.clone(), answers, self.signals.clone()));
        while !self.signals.stopping.load(Ordering::Acquire) {
            let free = slots.available_permits();
            let claimed = if free == 0 {
                Vec::new()
            } else {
                self.claim(free).await
            };
            if claimed.is_empty() {
                tokio::select! {
                    () = self.signals.wake.notified() => {}
                    () = tokio::time::sleep(POLL) => {}
                }
                continue;
            }
            for event in claimed {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let (responder, answered) = (self.responder.clone(), answered.clone());
                tokio::spawn(async move {
                    answer(&responder, &event).await;
                    let _ = answered.send(event.id);
                    drop(slot);
                });
            }
        }
        // Those being answered finish and are taken off the queue; then
        // nothing of ours is left claimed.
        let _ = slots.acquire_many(self.workers.max(1) as u32).await;
        drop(answered);
        let _ = finisher.await;
        heartbeat.abort();
        let (store, replica) = (self.store.clone(), self.replica.clone());
        match tokio::task::spawn_blocking(move || store.hand_back(&replica)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(handed)) => {
                tracing::info!(handed, "LINE events handed back to the other replicas")
            }
            _ => tracing::warn!("LINE events claimed by this replica wait for its claim to lapse"),
        }
    }

    async fn claim(&self, limit: usize) -> Vec<Claimed> {
        let (store, replica) = (self.store.clone(), self.replica.clone());
        match tokio::task::spawn_blocking(move || store.claim_events(&replica, limit, ALIVE)).await
        {
            Ok(Ok(claimed)) => claimed,
            Ok(Err(err)) => {
                tracing::error!(error = %err, "cannot claim queued LINE events");
                Vec::new()
            }
            Err(_) => Vec::new(),
        }
    }
}

/// Most answered events taken off the queue by one statement.
const FINISHED_PER_DELETE: usize = 256;

/// Takes answered events off the queue, as many at a time as have been
/// answered meanwhile (one commit for many), and wakes the workers: each
/// chat's next event can be claimed now. Ends when every sender is gone.
async fn finish(
    store: Arc<Store>,
    mut answered: tokio::sync::mpsc::UnboundedReceiver<i64>,
    signals: Arc<Signals>,
) {
    while let Some(first) = answered.recv().await {
        let mut ids = vec![first];
        while ids.len() < FINISHED_PER_DELETE {
            match answered.try_recv() {
                Ok(id) => ids.push(id),
                Err(_) => break,
            }
        }
        let store = store.clone();
        let count = ids.len();
        if !matches!(
            tokio::task::spawn_blocking(move || store.finish_events(&ids)).await,
            Ok(Ok(()))
        ) {
            tracing::error!(
                count,
                "answered LINE events could not be taken off the queue"
            );
        }
        signals.wake.notify_one();
    }
}

/// Answers one claimed event; one that cannot be read is dropped, logged.
async fn answer(responder: &Responder, claimed: &Claimed) {
    let Some(json) = responder.deps.pseudonyms.unseal(&claimed.event) else {
        tracing::error!(
            id = claimed.id,
            "a queued LINE event cannot be unsealed: was it queued with another pseudonym key?"
        );
        return;
    };
    let event: Event = match serde_json::from_str(&json) {
        Ok(event) => event,
        Err(err) => {
            tracing::error!(error = %err, id = claimed.id, "a queued LINE event cannot be read");
            return;
        }
    };
    responder
        .handle(event, received_instant(claimed.received_at))
        .await;
}

/// The instant the webhook took an event, from its Unix milliseconds.
fn received_instant(received_at: i64) -> Instant {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let waited = Duration::from_millis(now_ms.saturating_sub(received_at).max(0) as u64);
    Instant::now()
        .checked_sub(waited)
        .unwrap_or_else(Instant::now)
}

/// Says every [`HEARTBEAT`] that this replica is alive, until aborted.
async fn heartbeat(store: Arc<Store>, replica: String) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        beat(&store, &replica).await;
    }
}

/// Says once that this replica is alive.
async fn beat(store: &Arc<Store>, replica: &str) {
    let (store, replica) = (store.clone(), replica.to_string());
    if let Ok(Err(err)) = tokio::task::spawn_blocking(move || store.heartbeat(&replica)).await {
        tracing::error!(error = %err, "LINE workers cannot say they are alive");
    }
}
