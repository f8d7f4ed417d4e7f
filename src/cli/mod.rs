//! The subcommands, and what they share: the global options and the
//! settings and engine they resolve to.

pub mod ask;
pub mod check;
pub mod config;
pub mod disaster;
pub mod eval;
pub mod hash_password;
pub mod import;
pub mod line;
pub mod line_send;
pub mod logs;
pub mod migrate_store;
pub mod replay;
pub mod serve;

use std::path::PathBuf;

use anyhow::{Result, bail};

use madoguchi::config::{Overrides, Settings};
use madoguchi::engine::{Engine, EngineError};
use madoguchi::index::Weights;

/// Options every subcommand takes. Each wins over the environment and the
/// config file.
#[derive(clap::Args)]
pub struct Global {
    /// Config file (default: madoguchi.toml when present; env MADOGUCHI_CONFIG).
    #[arg(long, global = true, env = "MADOGUCHI_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory of the Q&A files (default: faq_dir of the settings, `faq`).
    #[arg(long, global = true)]
    pub faq: Option<PathBuf>,
    /// Directory of the word lists (default: dictionaries_dir of the
    /// settings, `dictionaries`).
    #[arg(long, global = true)]
    pub dictionaries: Option<PathBuf>,
}

impl Global {
    /// The flags as overrides of the settings.
    pub fn overrides(&self) -> Overrides {
        Overrides {
            config: self.config.clone(),
            faq_dir: self.faq.clone(),
            dictionaries_dir: self.dictionaries.clone(),
            ..Overrides::default()
        }
    }

    /// The settings: defaults, file, environment, these flags.
    pub fn settings(&self) -> Result<Settings> {
        Ok(Settings::load(&self.overrides())?)
    }

    /// The engine over the settings' content directories.
    pub fn engine(&self, weights: Option<Weights>) -> Result<Engine> {
        let settings = self.settings()?;
        match Engine::load(
            &settings.faq_dir,
            &settings.dictionaries_dir,
            settings.policy,
            weights.unwrap_or(settings.weights),
        ) {
            Ok((engine, _warnings)) => Ok(engine),
            Err(EngineError::Content(diagnostics)) => {
                bail!("the content has errors (run `madoguchi check`):\n{diagnostics}")
            }
            Err(err) => Err(err.into()),
        }
    }
}
