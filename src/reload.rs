//! Live content: the FAQ and dictionary directories are watched, and on a
//! change (or on request) the content is checked and a new engine built and
//! swapped in. When anything is wrong the old engine keeps serving and the
//! problems are kept for the admin page.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::diagnostic::Diagnostics;
use crate::engine::{Engine, EngineError, Policy, SharedEngine};
use crate::index::Weights;
use crate::metrics::Metrics;

/// How the last load went.
#[derive(Debug, Clone, Default)]
pub struct ContentStatus {
    /// The version being served.
    pub version: String,
    /// When it was loaded (Unix time).
    pub loaded_at: i64,
    /// Entries being served.
    pub entries: usize,
    /// Errors of the last attempt, if it failed; each with file:line and
    /// what to do.
    pub errors: Vec<String>,
    /// Warnings of the content being served.
    pub warnings: Vec<String>,
    /// When the last attempt failed (Unix time).
    pub failed_at: Option<i64>,
}

/// Reloads the content into the shared engine.
pub struct Reloader {
    engine: Arc<SharedEngine>,
    metrics: Arc<Metrics>,
    faq_dir: PathBuf,
    dictionaries_dir: PathBuf,
    policy: Policy,
    weights: Weights,
    /// The status, but for the version and entries, which the engine
    /// serving tells.
    status: Mutex<ContentStatus>,
    /// One reload at a time.
    running: Mutex<()>,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Reloader {
    /// A reloader for the engine now serving, loaded with `warnings`.
    pub fn new(
        engine: Arc<SharedEngine>,
        metrics: Arc<Metrics>,
        faq_dir: &Path,
        dictionaries_dir: &Path,
        policy: Policy,
        weights: Weights,
        warnings: &Diagnostics,
    ) -> Reloader {
        let status = ContentStatus {
            loaded_at: unix_now(),
            warnings: warnings.warnings().map(|w| w.to_string()).collect(),
            ..ContentStatus::default()
        };
        metrics.set_content_version(&engine.get().content().version);
        Reloader {
            engine,
            metrics,
            faq_dir: faq_dir.to_path_buf(),
            dictionaries_dir: dictionaries_dir.to_path_buf(),
            policy,
            weights,
            status: Mutex::new(status),
            running: Mutex::new(()),
        }
    }

    /// How the last load went, with the version and entries of the engine
    /// serving.
    pub fn status(&self) -> ContentStatus {
        let mut status = self
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let engine = self.engine.get();
        status.version = engine.content().version.clone();
        status.entries = engine.content().entries.len();
        status
    }

    /// Loads the content again; on success the new engine serves from the
    /// next request on. Returns the status either way.
    pub fn reload(&self) -> ContentStatus {
        let _one_at_a_time = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let loaded = Engine::load(
            &self.faq_dir,
            &self.dictionaries_dir,
            self.policy,
            self.weights,
        );
        let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        match loaded {
            Ok((engine, warnings)) => {
                let version = engine.content().version.clone();
                let changed = version != self.engine.get().content().version;
                let entries = engine.content().entries.len();
                *status = ContentStatus {
                    loaded_at: unix_now(),
                    warnings: warnings.warnings().map(|w| w.to_string()).collect(),
                    ..ContentStatus::default()
                };
                self.engine.replace(engine);
                self.metrics.set_content_version(&version);
                self.metrics
                    .count("madoguchi_content_reloads_total", &[("result", "ok")]);
                if changed {
                    tracing::info!(%version, entries, "content reloaded");
                }
            }
            Err(err) => {
                status.errors = match err {
                    EngineError::Content(diagnostics) => {
                        diagnostics.errors().map(|d| d.to_string()).collect()
                    }
                    other => vec![other.to_string()],
                };
                status.failed_at = Some(unix_now());
                self.metrics
                    .count("madoguchi_content_reloads_total", &[("result", "error")]);
                tracing::warn!(
                    errors = status.errors.len(),
                    "content not reloaded; the previous version keeps serving"
                );
            }
        }
        drop(status);
        self.status()
    }

    /// Watches the directories on a thread of its own, checking every
    /// `interval`; a change is loaded once the files have stopped changing.
    pub fn watch(self: Arc<Self>, interval: Duration) {
        let spawned = std::thread::Builder::new()
            .name("content-watch".into())
            .spawn(move || {
                let mut seen = self.fingerprint();
                loop {
                    std::thread::sleep(interval);
                    let now = self.fingerprint();
                    if now == seen {
                        continue;
                    }
                    // Let an editor finish writing.
                    std::thread::sleep(interval);
                    let settled = self.fingerprint();
                    if settled != now {
                        continue;
                    }
                    seen = settled;
                    self.reload();
                }
            });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot watch the content directories");
        }
    }

    /// Every file's path, size and modification time.
    fn fingerprint(&self) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
        let mut files = Vec::new();
        for dir in [&self.faq_dir, &self.dictionaries_dir] {
            collect(dir, &mut files);
        }
        files.sort();
        files
    }
}

fn collect(dir: &Path, files: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        if metadata.is_dir() {
            collect(&path, files);
        } else {
            files.push((path, metadata.len(), metadata.modified().ok()));
        }
    }
}
