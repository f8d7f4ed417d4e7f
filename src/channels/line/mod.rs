//! The LINE channel: the Messaging API webhook. Requests are checked
//! (signature, size, JSON) and their events written to the store's queue
//! before the webhook answers; workers on any replica answer them through
//! the Messaging API off the request path.

mod client;
pub mod handoff;
pub mod messages;
mod queue;
mod responder;
pub mod rich_menu;
pub mod signature;
pub mod webhook;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web as http};

pub use client::{LineClient, PushQuota, RetryKey, SendError};
use queue::{Dispatcher, Signals};
use responder::Responder;
use webhook::{Event, WebhookBody};

use super::ApiError;
use super::dialogue::Dialogue;
use crate::config::LineSettings;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::store::pseudonym::Pseudonyms;
use crate::store::queue::{Incoming, Queued};

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

/// The webhook's shared state.
pub struct LineChannel {
    channel_secret: String,
    max_body_bytes: usize,
    /// Events waiting to be answered, at most.
    queue_capacity: usize,
    /// Holds the queue, for every replica sharing it.
    store: Arc<Store>,
    signals: Arc<Signals>,
    /// Answers events directly when the store cannot queue them.
    responder: Arc<Responder>,
    runtime: tokio::runtime::Handle,
    metrics: Arc<Metrics>,
}

/// This replica's workers, on a runtime of their own.
pub struct Workers {
    thread: std::thread::JoinHandle<()>,
    signals: Arc<Signals>,
}

impl Workers {
    /// Stops claiming events, waits up to `timeout` for those being
    /// answered, and hands the rest back to the other replicas.
    pub fn finish(self, timeout: Duration) {
        self.signals.stopping.store(true, Ordering::Release);
        self.signals.wake.notify_one();
        let deadline = Instant::now() + timeout;
        while !self.thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.thread.is_finished() {
            let _ = self.thread.join();
        } else {
            tracing::warn!(
                "LINE events still being answered at shutdown were left to another replica"
            );
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
            client: Arc::new(LineClient::new(settings, metrics.clone())?),
            push_fallback: settings.push_fallback,
            loading_after: Duration::from_millis(settings.loading_after_ms),
            deps,
        });
        let signals = Arc::new(Signals::new());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("line-worker")
            .enable_all()
            .build()
            .map_err(|err| format!("cannot start the LINE workers: {err}"))?;
        let handle = runtime.handle().clone();
        let replica = uuid::Uuid::new_v4().simple().to_string();
        let dispatcher = Dispatcher {
            store: store.clone(),
            responder: responder.clone(),
            replica,
            workers: settings.workers,
            signals: signals.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("line-workers".into())
            .spawn(move || runtime.block_on(dispatcher.run()))
            .map_err(|err| format!("cannot start the LINE workers: {err}"))?;
        Ok((
            LineChannel {
                channel_secret,
                max_body_bytes: settings.max_body_bytes,
                queue_capacity: settings.queue_capacity,
                store,
                signals: signals.clone(),
                responder,
                runtime: handle,
                metrics,
            },
            Workers { thread, signals },
        ))
    }

    /// Events waiting to be answered (on every replica), and how many the
    /// queue holds.
    pub async fn queue_load(&self) -> Result<(usize, usize), String> {
        let store = self.store.clone();
        match http::block(move || store.queued_events()).await {
            Ok(Ok(queued)) => Ok((queued, self.queue_capacity)),
            Ok(Err(err)) => Err(err.to_string()),
            Err(err) => Err(err.to_string()),
        }
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

    /// Writes the events to the store's queue and wakes the workers;
    /// returns what became of each. When the store cannot take them they
    /// are answered here and now: answering beats durability.
    async fn queue(&self, events: Vec<(Event, String)>) -> Vec<Queued> {
        let count = events.len();
        let incoming: Vec<Incoming> = events
            .iter()
            .map(|(event, json)| {
                let chat = event.source.as_ref().and_then(|s| s.chat_id());
                // User ids never rest in the database in the clear.
                Incoming {
                    event_id: event.webhook_event_id.clone(),
                    chat: self.pseudonyms().of("line", chat.unwrap_or_default()),
                    event: self.pseudonyms().seal(json),
                }
            })
            .collect();
        let (store, capacity) = (self.store.clone(), self.queue_capacity);
        let queued =
            http::block(move || store.queue_events(&incoming, REMEMBER_EVENTS_FOR, capacity))
                .await
                .map_err(|err| err.to_string())
                .and_then(|queued| queued.map_err(|err| err.to_string()));
        match queued {
            Ok(outcomes) => {
                self.signals.wake.notify_one();
                outcomes
            }
            Err(error) => {
                tracing::error!(
                    error,
                    "cannot queue LINE events; answering them without the queue"
                );
                for (event, _) in events {
                    let responder = self.responder.clone();
                    let received = Instant::now();
                    self.runtime
                        .spawn(async move { responder.handle(event, received).await });
                }
                vec![Queued::Queued; count]
            }
        }
    }

    fn pseudonyms(&self) -> &Pseudonyms {
        &self.responder.deps.pseudonyms
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
    let invalid = |err: serde_json::Error| {
        channel.count("invalid_json");
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", err.to_string())
    };
    let parsed: WebhookBody = serde_json::from_slice(&body).map_err(invalid)?;
    let events: Vec<(Event, String)> = parsed
        .events
        .iter()
        .map(|raw| Ok((serde_json::from_str(raw.get())?, raw.get().to_string())))
        .collect::<Result<_, serde_json::Error>>()
        .map_err(invalid)?;
    let kinds: Vec<String> = events.iter().map(|(e, _)| e.kind.clone()).collect();
    let outcomes = channel.queue(events).await;
    let mut refused = 0;
    for (kind, outcome) in kinds.iter().zip(outcomes) {
        let outcome = match outcome {
            Queued::Queued => "queued",
            Queued::Duplicate => "duplicate",
            Queued::Full => {
                refused += 1;
                "queue_full"
            }
        };
        channel.metrics.count(
            "madoguchi_line_events_total",
            &[("type", kind), ("outcome", outcome)],
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
