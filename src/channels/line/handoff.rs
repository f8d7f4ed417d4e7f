//! Staff replies to LINE residents: pushed, as no reply token is left.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::client::{LineClient, RetryKey};
use super::messages;
use crate::config::LineSettings;
use crate::handoff::Messenger;
use crate::metrics::Metrics;
use crate::store::pseudonym::Pseudonyms;

/// Pushes staff's messages to the chat a ticket was opened from.
pub struct LinePush {
    client: LineClient,
    pseudonyms: Arc<Pseudonyms>,
}

impl LinePush {
    pub fn new(
        settings: &LineSettings,
        metrics: Arc<Metrics>,
        pseudonyms: Arc<Pseudonyms>,
    ) -> Result<LinePush, String> {
        Ok(LinePush {
            client: LineClient::new(settings, metrics)?,
            pseudonyms,
        })
    }
}

impl Messenger for LinePush {
    fn push<'a>(
        &'a self,
        address: &'a str,
        text: &'a str,
        key: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let to = self
                .pseudonyms
                .unseal(address)
                .ok_or("the ticket's LINE chat cannot be read (the key changed?)")?;
            // One retry key per message: LINE takes it once, however often
            // it is tried.
            self.client
                .push(&to, &messages::plain(text), &RetryKey::for_event(key))
                .await
                .map_err(|err| err.to_string())
        })
    }
}
