//! The LINE channel: the Messaging API webhook. Requests are checked
//! (signature, size, JSON) and their events queued at once; workers answer
//! them through the Messaging API off the request path.

mod client;
pub mod messages;
mod responder;
pub mod signature;
pub mod webhook;

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
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
use crate::store::Store;
use crate::store::pseudonym::Pseudonyms;

/// The webhook's path.
pub const WEBHOOK_PATH: &str = "/webhooks/line";

/// How long a webhook event id is remembered to spot redeliveries: LINE
/// redelivers a failed event within hours.
const REMEMBER_EVENTS_FOR: Duration = Duration::from_secs(24 * 3600);

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
    /// Remembers the events taken, for every replica sharing it.
    store: Arc<Store>,
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
        let store = deps.dialogue.log.store().clone();
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
                store,
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

    /// Takes the events with these ids in the store; returns those taken
    /// for the first time (by any replica). A store that cannot be reached
    /// lets them all through: a rare duplicate answer beats silence.
    async fn take_events(&self, ids: Vec<String>) -> HashSet<String> {
        let store = self.store.clone();
        let taken = http::block(move || {
            let mut first_times = HashSet::new();
            for id in ids {
                match store.take_event(&id, REMEMBER_EVENTS_FOR) {
                    Ok(false) => {}
                    Ok(true) => {
                        first_times.insert(id);
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "cannot check LINE events for redeliveries");
                        first_times.insert(id);
                    }
                }
            }
            first_times
        })
        .await;
        taken.unwrap_or_default()
    }

    /// Forgets that an event was taken, so that its redelivery is answered.
    async fn release_event(&self, id: String) {
        let store = self.store.clone();
        if let Ok(Err(err)) = http::block(move || store.release_event(&id)).await {
            tracing::error!(error = %err, "cannot release a refused LINE event");
        }
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
    let ids: Vec<String> = parsed
        .events
        .iter()
        .filter_map(|event| event.webhook_event_id.clone())
        .collect();
    let first_times = channel.take_events(ids).await;
    let mut refused = 0;
    for event in parsed.events {
        let kind = event.kind.clone();
        let id = event.webhook_event_id.clone();
        if let Some(id) = &id
            && !first_times.contains(id)
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
            if let Some(id) = id {
                channel.release_event(id).await;
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
