//! The HTTP server: shared state, request spans and metrics, and the routes
//! of every channel.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Instant;

use actix_cors::Cors;
use actix_web::dev::{Server, Service};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{App, HttpMessage, HttpResponse, HttpServer, web};
use tracing::Instrument;

use crate::admin::{self, AdminDeps, AdminState};
use crate::authoring::follow::{FollowError, Follower};
use crate::authoring::workspace::Workspace;
use crate::channels::conversations::ConversationKeeper;
use crate::channels::dialogue::Dialogue;
use crate::channels::line::handoff::LinePush;
use crate::channels::line::{LineChannel, LineDeps, Workers};
use crate::channels::web::{self as web_channel, WebState};
use crate::client::{ClientAddress, RateLimiter, TrustedProxies, network_of};
use crate::config::Settings;
use crate::diagnostic::Diagnostics;
use crate::disaster::DisasterMode;
use crate::engine::{Engine, EngineError, SharedEngine};
use crate::handoff::Handoff;
use crate::hours::Clock;
use crate::metrics::Metrics;
use crate::reload::Reloader;
use crate::store::pseudonym::Pseudonyms;
use crate::store::retry::ReplyLog;
use crate::store::{Store, StoreError};

/// Replies kept in memory while the query log cannot be written; past this
/// the oldest are lost (and counted).
const LOG_RETRY_CAPACITY: usize = 10_000;

/// Failures to start the server.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the content cannot be served:\n{0}")]
    Content(Diagnostics),
    #[error(transparent)]
    Engine(EngineError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("published content: {0}")]
    Follow(FollowError),
    #[error("LINE channel: {0}")]
    Line(String),
    #[error("admin: {0}")]
    Admin(String),
    #[error("settings: {0}")]
    Config(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// A server bound to its address, ready to run.
pub struct Application {
    address: SocketAddr,
    server: Server,
    line_workers: Option<Workers>,
    store: Arc<Store>,
}

impl Application {
    /// Loads the content, opens the database and binds the address (port 0
    /// picks a free one).
    pub fn build(settings: Settings) -> Result<Application, StartError> {
        Application::build_with_clock(settings, Clock::system())
    }

    /// [`Application::build`], judging office hours at the instants
    /// `clock` gives (tests run at fixed instants).
    pub fn build_with_clock(settings: Settings, clock: Clock) -> Result<Application, StartError> {
        let (store, pseudonyms) = outside_the_runtime(|| {
            let store = Store::open_configured(&settings.data_dir, &settings.store)?;
            let pseudonyms = Pseudonyms::of_store(&store, &settings.data_dir)?;
            Ok::<_, StoreError>((Arc::new(store), Arc::new(pseudonyms)))
        })?;
        tracing::info!(store = store.kind(), "store opened");
        let workspace = Workspace {
            faq_dir: settings.faq_dir.clone(),
            dictionaries_dir: settings.dictionaries_dir.clone(),
            policy: settings.policy,
            weights: settings.weights,
        };
        // Replicas sharing the store serve the newest published revision.
        let follower = store.shared().then(|| {
            Arc::new(Follower::new(
                store.clone(),
                workspace.clone(),
                &settings.data_dir,
            ))
        });
        if let Some(follower) = &follower {
            outside_the_runtime(|| follower.catch_up()).map_err(StartError::Follow)?;
        }
        let (engine, warnings) = Engine::load(
            &settings.faq_dir,
            &settings.dictionaries_dir,
            settings.policy,
            settings.weights,
        )
        .map_err(|err| match err {
            EngineError::Content(diagnostics) => StartError::Content(diagnostics),
            other => StartError::Engine(other),
        })?;
        for warning in warnings.warnings() {
            tracing::warn!("{warning}");
        }
        let metrics = Arc::new(Metrics::default());
        tracing::info!(
            entries = engine.content().entries.len(),
            version = %engine.content().version,
            "content loaded"
        );
        let engine = Arc::new(SharedEngine::new(engine));
        housekeeping(store.clone(), engine.clone(), settings.log.retention_days);
        let disaster = outside_the_runtime(|| DisasterMode::load(store.clone()));
        let handoff = Handoff::new(
            settings.handoff.clone(),
            store.clone(),
            engine.clone(),
            clock.clone(),
            metrics.clone(),
        );
        if settings.line.enabled() {
            let push = LinePush::new(&settings.line, metrics.clone(), pseudonyms.clone())
                .map_err(StartError::Line)?;
            handoff.set_messenger(Arc::new(push));
        }
        if handoff.enabled() {
            handoff.clone().run_in_background();
        }
        disaster.clone().follow();
        let log = ReplyLog::new(store.clone(), metrics.clone(), LOG_RETRY_CAPACITY);
        log.retry_in_background();
        let readiness_log = log.clone();
        let dialogue = Arc::new(Dialogue {
            engine: engine.clone(),
            log,
            conversations: Arc::new(ConversationKeeper::for_store(
                &store,
                std::time::Duration::from_secs(settings.conversation_idle_minutes * 60),
                settings.max_conversations,
            )),
            metrics: metrics.clone(),
            disaster: disaster.clone(),
            handoff: handoff.clone(),
            clock,
        });
        let reloader = Arc::new(Reloader::new(
            engine.clone(),
            metrics.clone(),
            &settings.faq_dir,
            &settings.dictionaries_dir,
            settings.policy,
            settings.weights,
            &warnings,
        ));
        if let Some(follower) = &follower {
            follower.clone().follow(reloader.clone());
        }
        if settings.admin.watch_interval_ms > 0 {
            reloader.clone().watch(std::time::Duration::from_millis(
                settings.admin.watch_interval_ms,
            ));
        }
        let admin_state = web::Data::new(
            AdminState::new(
                &settings.admin,
                AdminDeps {
                    store: store.clone(),
                    engine: engine.clone(),
                    reloader: reloader.clone(),
                    workspace,
                    follower: follower.clone(),
                    line: line_account(&settings.line, &metrics)?,
                    disaster: disaster.clone(),
                    handoff: handoff.clone(),
                },
            )
            .map_err(StartError::Admin)?,
        );
        let (line_channel, line_workers) = if settings.line.enabled() {
            let (channel, workers) = LineChannel::start(
                &settings.line,
                LineDeps {
                    dialogue: dialogue.clone(),
                    pseudonyms: pseudonyms.clone(),
                    max_text_chars: settings.web.max_text_chars,
                },
            )
            .map_err(StartError::Line)?;
            tracing::info!("LINE webhook enabled");
            (Some(web::Data::new(channel)), Some(workers))
        } else {
            (None, None)
        };
        let listener =
            TcpListener::bind(settings.bind).map_err(|err| StartError::Bind(settings.bind, err))?;
        let address = listener
            .local_addr()
            .map_err(|err| StartError::Bind(settings.bind, err))?;
        let web_state = web::Data::new(WebState {
            dialogue,
            pseudonyms,
            limiter: RateLimiter::new(settings.web.requests_per_minute),
            settings: settings.web.clone(),
        });
        let trusted_proxies = TrustedProxies::new(&settings.web.trusted_proxies)
            .map_err(|err| StartError::Config(format!("web.trusted_proxies: {err}")))?;
        let readiness = web::Data::new(Readiness {
            engine: engine.clone(),
            log: readiness_log,
            line: line_channel.clone(),
        });
        let allowed_origins = settings.web.allowed_origins.clone();
        let max_body_bytes = settings.web.max_body_bytes;
        let server = HttpServer::new(move || {
            let metrics = metrics.clone();
            let request_metrics = metrics.clone();
            let trusted_proxies = trusted_proxies.clone();
            App::new()
                .app_data(web_state.clone())
                .app_data(admin_state.clone())
                .app_data(readiness.clone())
                .app_data(web_channel::json_config(max_body_bytes))
                .app_data(web::PayloadConfig::new(max_body_bytes))
                .app_data(web::Data::from(metrics))
                .wrap(cors(allowed_origins.clone()))
                .wrap_fn(move |request, service| {
                    let started = Instant::now();
                    let request_id = uuid::Uuid::new_v4().simple().to_string();
                    let client = request
                        .peer_addr()
                        .map(|peer| trusted_proxies.client(peer.ip(), request.headers()));
                    if let Some(client) = client {
                        request.extensions_mut().insert(ClientAddress(client));
                    }
                    let span = tracing::info_span!(
                        "request",
                        id = %request_id,
                        client = %client.map_or_else(String::new, network_of),
                        method = %request.method(),
                        path = %request.path()
                    );
                    let metrics = request_metrics.clone();
                    let response = service.call(request);
                    async move {
                        let mut response = response.await?;
                        let route = response
                            .request()
                            .match_pattern()
                            .unwrap_or_else(|| "unmatched".into());
                        let status = response.status();
                        metrics.count(
                            "madoguchi_http_requests_total",
                            &[("route", &route), ("status", status.as_str())],
                        );
                        metrics.observe_latency(started.elapsed());
                        tracing::info!(
                            status = status.as_u16(),
                            elapsed_us = started.elapsed().as_micros() as u64,
                            "done"
                        );
                        if let Ok(value) = HeaderValue::from_str(&request_id) {
                            response
                                .headers_mut()
                                .insert(header::HeaderName::from_static("x-request-id"), value);
                        }
                        Ok(response)
                    }
                    .instrument(span)
                })
                .configure(web_channel::configure)
                .configure(admin::configure)
                .configure(|config| {
                    if let Some(channel) = line_channel.clone() {
                        LineChannel::configure(channel)(config);
                    }
                })
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .route("/metrics", web::get().to(metrics_text))
        })
        .listen(listener)
        .map_err(|err| StartError::Bind(address, err))?
        .shutdown_timeout(10)
        .run();
        Ok(Application {
            address,
            server,
            line_workers,
            store,
        })
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the requests in flight
    /// and the LINE events being answered (handing the other queued events
    /// back to the replicas, or to the next start), and copies the
    /// database's write-ahead log into it, so that the next start has
    /// nothing to replay.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await?;
        let (line_workers, store) = (self.line_workers, self.store);
        let _ = actix_web::rt::task::spawn_blocking(move || {
            if let Some(workers) = line_workers {
                workers.finish(std::time::Duration::from_secs(10));
            }
            if let Err(err) = store.checkpoint_all() {
                tracing::warn!(error = %err, "the query log's write-ahead log was left to replay");
            }
        })
        .await;
        Ok(())
    }
}

/// The LINE account for the staff dashboard, when the channel is on.
fn line_account(
    settings: &crate::config::LineSettings,
    metrics: &Arc<Metrics>,
) -> Result<Option<admin::LineAccount>, StartError> {
    if !settings.enabled() {
        return Ok(None);
    }
    let client = crate::channels::line::LineClient::new(settings, metrics.clone())
        .map_err(StartError::Line)?;
    Ok(Some(admin::LineAccount {
        client,
        push_fallback: settings.push_fallback,
    }))
}

/// Runs start-up work that blocks (the PostgreSQL client does) on a thread
/// of its own: `build` runs inside the async runtime, which must not block.
fn outside_the_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| match scope.spawn(work).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// Browsers may call the API from the allowed origins, and from the page the
/// server itself serves; requests from other origins get 400. Clients that
/// send no `Origin` (curl, the LINE platform) are not affected.
fn cors(allowed_origins: Vec<String>) -> Cors {
    Cors::default()
        .block_on_origin_mismatch(true)
        .allowed_origin_fn(move |origin, request| {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            let own = request
                .headers
                .get(header::HOST)
                .and_then(|host| host.to_str().ok())
                .is_some_and(|host| {
                    origin == format!("http://{host}") || origin == format!("https://{host}")
                });
            own || allowed_origins.iter().any(|allowed| allowed == origin)
        })
        .allowed_methods(["GET", "POST"])
        .allowed_header(header::CONTENT_TYPE)
        .max_age(3600)
}

/// Every hour, on a thread of its own (and once at the start): deletes
/// queries older than the retention period (0 keeps them) and expired
/// shared state, and tells the engine which entries were asked most in the
/// last 90 days.
fn housekeeping(store: Arc<Store>, engine: Arc<SharedEngine>, retention_days: u32) {
    let spawned = std::thread::Builder::new()
        .name("housekeeping".into())
        .spawn(move || {
            loop {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                if retention_days > 0 {
                    match store.delete_older_than(now - i64::from(retention_days) * 86_400) {
                        Ok(0) => {}
                        Ok(deleted) => {
                            tracing::info!(deleted, retention_days, "old queries deleted")
                        }
                        Err(err) => tracing::error!(error = %err, "deleting old queries failed"),
                    }
                }
                if let Err(err) = store.prune_expired() {
                    tracing::error!(error = %err, "pruning expired sessions and conversations failed");
                }
                match store.answer_counts(now - 90 * 86_400) {
                    Ok(counts) => engine.get().set_asked_counts(counts),
                    Err(err) => tracing::error!(error = %err, "counting answers failed"),
                }
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        });
    if let Err(err) = spawned {
        tracing::error!(error = %err, "cannot start the housekeeping thread");
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// What `/readyz` looks at.
struct Readiness {
    engine: Arc<SharedEngine>,
    log: Arc<ReplyLog>,
    line: Option<web::Data<LineChannel>>,
}

/// 200 when this replica can take traffic: content loaded, the database
/// writable with no replies waiting to be written, the LINE queue not
/// full; else 503 with the reasons, for the load balancer and monitoring.
async fn readyz(state: web::Data<Readiness>) -> HttpResponse {
    let mut reasons = Vec::new();
    if state.engine.get().content().entries.is_empty() {
        reasons.push("no content is loaded".to_string());
    }
    let pending = state.log.pending();
    if pending > 0 {
        reasons.push(format!(
            "{pending} replies are waiting to be written to the query log"
        ));
    }
    let store = state.log.store().clone();
    match web::block(move || store.probe_writable()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => reasons.push(format!("the database cannot be written: {err}")),
        Err(err) => reasons.push(format!("the database could not be checked: {err}")),
    }
    if let Some(line) = &state.line {
        match line.queue_load().await {
            Ok((queued, capacity)) if queued >= capacity => {
                reasons.push(format!("the LINE queue is full ({queued} events)"));
            }
            Ok(_) => {}
            Err(err) => reasons.push(format!("the LINE queue cannot be read: {err}")),
        }
    }
    if reasons.is_empty() {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ready" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "not ready", "reasons": reasons }))
    }
}

async fn metrics_text(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/plain; version=0.0.4"))
        .body(metrics.render())
}
