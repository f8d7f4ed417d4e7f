//! Published content reaches every replica: each replica sharing the store
//! looks for a newer revision every [`POLL`], writes the revision's files
//! into its own content directory and reloads. A replica starting catches up
//! before it loads its content. The revision a directory holds is noted in
//! the replica's data directory, so that files an operator deploys later
//! are not taken back to an older revision.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::workspace::{Workspace, WorkspaceError};
use crate::reload::Reloader;
use crate::store::{Store, StoreError};

/// How often a replica looks for a newer revision.
const POLL: Duration = Duration::from_secs(1);

/// The file in the data directory naming the revision the content
/// directory holds.
pub const APPLIED_FILE: &str = "content-revision";

/// Failures to follow the published content.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("cannot note the content revision in {0}: {1}")]
    Note(String, std::io::Error),
}

/// Brings one replica's content directory to the newest revision.
pub struct Follower {
    store: Arc<Store>,
    workspace: Workspace,
    note: PathBuf,
}

impl Follower {
    pub fn new(store: Arc<Store>, workspace: Workspace, data_dir: &Path) -> Follower {
        Follower {
            store,
            workspace,
            note: data_dir.join(APPLIED_FILE),
        }
    }

    /// The revision the content directory holds, as noted.
    fn applied(&self) -> Option<i64> {
        std::fs::read_to_string(&self.note)
            .ok()
            .and_then(|text| text.trim().parse().ok())
    }

    /// Writes the newest revision's files if the directory holds an older
    /// one (or none noted); returns whether any file changed.
    pub fn catch_up(&self) -> Result<bool, FollowError> {
        let Some(latest) = self.store.latest_revision()? else {
            return Ok(false);
        };
        if self.applied().is_some_and(|applied| applied >= latest) {
            return Ok(false);
        }
        let Some(revision) = self.store.revision(latest)? else {
            return Ok(false);
        };
        let changes = Workspace::changes(&self.workspace.files()?, &revision.after);
        self.workspace.write(&changes)?;
        std::fs::write(&self.note, latest.to_string())
            .map_err(|err| FollowError::Note(self.note.display().to_string(), err))?;
        if !changes.is_empty() {
            tracing::info!(
                revision = latest,
                files = changes.len(),
                "content brought to the newest revision"
            );
        }
        Ok(!changes.is_empty())
    }

    /// Catches up every [`POLL`] on a thread of its own, reloading when
    /// files changed.
    pub fn follow(self: Arc<Self>, reloader: Arc<Reloader>) {
        let spawned = std::thread::Builder::new()
            .name("content-follow".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(POLL);
                    match self.catch_up() {
                        Ok(true) => {
                            reloader.reload();
                        }
                        Ok(false) => {}
                        Err(err) => {
                            tracing::error!(error = %err, "cannot follow the published content")
                        }
                    }
                }
            });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start following the published content");
        }
    }
}
