//! The LINE channel: the Messaging API webhook. Requests are checked
//! (signature, size, JSON) and their events queued at once; workers answer
//! them through the Messaging API off the request path.

mod client;
pub mod messages;
mod responder;
pub mod signature;
pub mod webhook;

use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web as http};
use tokio::sync::mpsc;

pub use client::{LineClient, RetryKey, SendError};
use responder::Responder;
use webhook::{Event, WebhookBody};

use super::ApiError;
use super::dialogue::Dialogue;
use crate::config::LineSettings;
use crate::metrics::Metrics;
use crate::store::pseudonym::Pseudonyms;

/// The webhook's path.
pub const WEBHOOK_PATH: &str = "/webhooks/line";

/// Webhook event ids remembered to spot redeliveries.
const REMEMBERED_EVENTS: usize = 100_000;

/// What the channel is given.
pub struct LineDeps {
    pub dialogue: Arc<Dialogue>,
    pub pseudonyms: Arc<Pseudonyms>,
    /// Longest question taken, in characters; the rest is cut.
    pub max_text_chars: usize,
}

/// An event waiting to be answered.
struct Job {
    event: Event,
    received: Instant,
}

/// The webhook's shared state.
pub struct LineChannel {
    channel_secret: String,
    max_body_bytes: usize,
    shards: Vec<mpsc::Sender<Job>>,
    seen: SeenEvents,
    metrics: Arc<Metrics>,
}

/// The workers answering queued events; they finish when the channel is
/// dropped and the queue is empty.
pub struct Workers {
    thread: std::thread::JoinHandle<()>,
}

impl Workers {
    /// Waits up to `timeout` for the queued events to be answered.
    pub fn finish(self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.thread.is_finished() {
            let _ = self.thread.join();
        } else {
            tracing::warn!("LINE events still queued at shutdown were not answered");
        }
    }
}

impl LineChannel {
    /// Starts the workers. Fails if the settings cannot work.
    pub fn start(
        settings: &LineSettings,
        deps: LineDeps,
    ) -> Result<(LineChannel, Workers), String> {
        let channel_secret = settings
            .channel_secret
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or("line.channel_secret is not set")?;
        if settings
            .channel_access_token
            .as_deref()
            .is_none_or(str::is_empty)
        {
            return Err("line.channel_access_token (MADOGUCHI_LINE_CHANNEL_ACCESS_TOKEN) must be set with the channel secret".into());
        }
        let metrics = deps.dialogue.metrics.clone();
        let responder = Arc::new(Responder {
            client: LineClient::new(settings, metrics.clone())?,
            push_fallback: settings.push_fallback,
            loading_after: Duration::from_millis(settings.loading_after_ms),
            deps,
        });
        let workers = settings.workers.max(1);
        let per_shard = (settings.queue_capacity / workers).max(1);
        let (shards, queues): (Vec<_>, Vec<_>) = (0..workers)
            .map(|_| mpsc::channel::<Job>(per_shard))
            .unzip();
        let thread = std::thread::Builder::new()
            .name("line-workers".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("line-worker")
                    .enable_all()
                    .build()
                    .expect("a runtime for the LINE workers");
                runtime.block_on(async move {
                    let tasks: Vec<_> = queues
                        .into_iter()
                        .map(|mut queue| {
                            let responder = responder.clone();
                            tokio::spawn(async move {
                                while let Some(job) = queue.recv().await {
                                    responder.handle(job.event, job.received).await;
                                }
                            })
                        })
                        .collect();
                    for task in tasks {
                        let _ = task.await;
                    }
                });
            })
            .map_err(|err| format!("cannot start the LINE workers: {err}"))?;
        Ok((
            LineChannel {
                channel_secret,
                max_body_bytes: settings.max_body_bytes,
                shards,
                seen: SeenEvents::new(REMEMBERED_EVENTS),
                metrics,
            },
            Workers { thread },
        ))
    }

    /// Events waiting to be answered, and how many the queue holds.
    pub fn queue_load(&self) -> (usize, usize) {
        self.shards
            .iter()
            .fold((0, 0), |(queued, capacity), shard| {
                (
                    queued + shard.max_capacity() - shard.capacity(),
                    capacity + shard.max_capacity(),
                )
            })
    }

    /// Registers the webhook route.
    pub fn configure(channel: http::Data<LineChannel>) -> impl FnOnce(&mut http::ServiceConfig) {
        move |config| {
            let limit = channel.max_body_bytes;
            config.service(
                http::resource(WEBHOOK_PATH)
                    .app_data(channel)
                    .app_data(http::PayloadConfig::new(limit))
                    .route(http::post().to(receive)),
            );
        }
    }

    /// Queues an event on its chat's shard, so one chat's events are
    /// answered in order. False if the shard is full.
    fn enqueue(&self, event: Event) -> bool {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        event
            .source
            .as_ref()
            .and_then(|s| s.chat_id())
            .hash(&mut hasher);
        let shard = &self.shards[hasher.finish() as usize % self.shards.len()];
        shard
            .try_send(Job {
                event,
                received: Instant::now(),
            })
            .is_ok()
    }

    fn count(&self, result: &str) {
        self.metrics
            .count("madoguchi_line_webhooks_total", &[("result", result)]);
    }
}

async fn receive(
    channel: http::Data<LineChannel>,
    request: HttpRequest,
    body: http::Bytes,
) -> Result<HttpResponse, ApiError> {
    let signature = request
        .headers()
        .get("x-line-signature")
        .and_then(|v| v.to_str().ok());
    if !signature.is_some_and(|s| signature::verify(&channel.channel_secret, &body, s)) {
        channel.count("bad_signature");
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "X-Line-Signature is missing or does not sign this body",
        ));
    }
    let parsed: WebhookBody = serde_json::from_slice(&body).map_err(|err| {
        channel.count("invalid_json");
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", err.to_string())
    })?;
    let mut refused = 0;
    for event in parsed.events {
        let kind = event.kind.clone();
        let id = event.webhook_event_id.clone();
        if let Some(id) = &id
            && !channel.seen.first_time(id)
        {
            channel.metrics.count(
                "madoguchi_line_events_total",
                &[("type", &kind), ("outcome", "duplicate")],
            );
            continue;
        }
        let outcome = if channel.enqueue(event) {
            "queued"
        } else {
            // Not answered: let a redelivery of it through.
            if let Some(id) = &id {
                channel.seen.forget(id);
            }
            refused += 1;
            "queue_full"
        };
        channel.metrics.count(
            "madoguchi_line_events_total",
            &[("type", &kind), ("outcome", outcome)],
        );
    }
    if refused > 0 {
        tracing::warn!(refused, "LINE event queue full; events refused");
        channel.count("queue_full");
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many events waiting; deliver again later",
        ));
    }
    channel.count("accepted");
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

/// The webhook event ids seen lately, oldest forgotten first.
struct SeenEvents {
    capacity: usize,
    inner: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl SeenEvents {
    fn new(capacity: usize) -> SeenEvents {
        SeenEvents {
            capacity,
            inner: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// Remembers `id`; false if it was already remembered.
    fn first_time(&self, id: &str) -> bool {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (set, order) = &mut *guard;
        if !set.insert(id.to_string()) {
            return false;
        }
        order.push_back(id.to_string());
        if order.len() > self.capacity
            && let Some(oldest) = order.pop_front()
        {
            set.remove(&oldest);
        }
        true
    }

    fn forget(&self, id: &str) {
        let mut guard = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (set, order) = &mut *guard;
        set.remove(id);
        order.retain(|seen| seen != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_events_spot_repeats_and_forget_the_oldest() {
        let seen = SeenEvents::new(2);
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("a"));
        assert!(seen.first_time("b"));
        assert!(seen.first_time("c"));
        assert!(seen.first_time("a"), "a was forgotten when c came");
        seen.forget("c");
        assert!(seen.first_time("c"));
    }
}
