//! Disaster mode: staff switch it on with a notice when an evacuation is
//! ordered. While it is on every answer, in both channels, starts with the
//! notice, disaster entries and flows rank first, the widget shows a
//! banner and LINE shows the disaster menu. The switch lives in the store:
//! every replica reads it each second, and a switch by `madoguchi disaster`
//! reaches running servers too.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::engine::Situation;
use crate::store::disaster::DisasterNotice;
use crate::store::{Store, StoreError};

/// How often each server reads the switch.
const POLL: Duration = Duration::from_secs(1);
/// The longest notice: a few lines on a phone.
pub const MAX_NOTICE_CHARS: usize = 200;

/// The mode as this server knows it.
pub struct DisasterMode {
    store: Arc<Store>,
    current: RwLock<Option<Arc<DisasterNotice>>>,
}

/// What a switch asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    /// `None` switches the mode off.
    pub notice: Option<(String, Option<String>)>,
    pub by: String,
}

/// Why a switch was refused.
#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Switch {
    /// Checks the notice and link: the notice 1 to 200 characters, the link
    /// an https:// (or http://) address.
    pub fn new(notice: Option<(&str, Option<&str>)>, by: &str) -> Result<Switch, SwitchError> {
        let notice = match notice {
            None => None,
            Some((text, link)) => {
                let text = text.trim();
                if text.is_empty() || text.chars().count() > MAX_NOTICE_CHARS {
                    return Err(SwitchError::Invalid(format!(
                        "the notice must be 1 to {MAX_NOTICE_CHARS} characters"
                    )));
                }
                let link = link.map(str::trim).filter(|l| !l.is_empty());
                if let Some(link) = link
                    && !(link.starts_with("https://") || link.starts_with("http://"))
                {
                    return Err(SwitchError::Invalid(format!(
                        "the link must start with https:// (got {link})"
                    )));
                }
                Some((text.to_string(), link.map(String::from)))
            }
        };
        Ok(Switch {
            notice,
            by: by.to_string(),
        })
    }
}

impl DisasterMode {
    /// The mode in force in the store (off if the store cannot say).
    pub fn load(store: Arc<Store>) -> Arc<DisasterMode> {
        let current = store.disaster_mode().unwrap_or_else(|err| {
            tracing::error!(error = %err, "cannot read disaster mode; starting with it off");
            None
        });
        Arc::new(DisasterMode {
            store,
            current: RwLock::new(current.map(Arc::new)),
        })
    }

    /// The notice in force, if the mode is on.
    pub fn current(&self) -> Option<Arc<DisasterNotice>> {
        self.current.read().expect("not poisoned").clone()
    }

    /// What the engine weighs answers by.
    pub fn situation(&self) -> Situation {
        Situation {
            disaster: self.current().is_some(),
        }
    }

    /// Reads the switch again; whether it changed.
    pub fn refresh(&self) -> Result<bool, StoreError> {
        let stored = self.store.disaster_mode()?;
        let mut current = self.current.write().expect("not poisoned");
        if current.as_deref() == stored.as_ref() {
            return Ok(false);
        }
        tracing::warn!(on = stored.is_some(), "disaster mode switched");
        *current = stored.map(Arc::new);
        Ok(true)
    }

    /// Reads the switch every second on a thread of its own, so that a
    /// switch on another replica or by the command reaches this server.
    pub fn follow(self: Arc<Self>) {
        let spawned = std::thread::Builder::new()
            .name("disaster-mode".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(POLL);
                    if let Err(err) = self.refresh() {
                        tracing::error!(error = %err, "cannot read disaster mode");
                    }
                }
            });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start following disaster mode");
        }
    }

    /// Switches the mode in the store (with the audit log) and here.
    pub fn switch(&self, switch: &Switch) -> Result<Option<Arc<DisasterNotice>>, StoreError> {
        let notice = switch
            .notice
            .as_ref()
            .map(|(text, link)| (text.as_str(), link.as_deref()));
        let stored = self
            .store
            .switch_disaster_mode(notice, &switch.by)?
            .map(Arc::new);
        *self.current.write().expect("not poisoned") = stored.clone();
        Ok(stored)
    }
}
