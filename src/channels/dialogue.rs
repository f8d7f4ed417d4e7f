//! One turn of a resident's conversation, the same on every channel: the
//! engine decides with the user's conversation, the query goes durably into
//! the log, and the conversation takes in the reply.

use std::sync::Arc;

use crate::engine::{ChoiceValue, Conversations, Decision, SharedEngine};
use crate::metrics::Metrics;
use crate::store::{ReplyRecord, Store, StoreError};

/// What a resident did.
#[derive(Debug, Clone, Copy)]
pub enum Turn<'a> {
    /// Typed (or said) a message.
    Typed(&'a str),
    /// Tapped an offered button.
    Picked(&'a ChoiceValue),
    /// Answered 「役に立たなかった」 to the last answer.
    Unhelpful,
}

/// A decided and logged reply.
pub struct Reply {
    /// Identifies the reply for feedback.
    pub id: String,
    pub decision: Decision,
    /// Whether the query reached the log; a channel that promises
    /// durability refuses to answer without it.
    pub stored: Result<(), StoreError>,
}

/// What the channels share to hold conversations.
pub struct Dialogue {
    pub engine: Arc<SharedEngine>,
    pub store: Arc<Store>,
    pub conversations: Arc<Conversations>,
    pub metrics: Arc<Metrics>,
}

impl Dialogue {
    /// Takes one turn of `user`'s conversation on `channel` (`user` being a
    /// pseudonym). `None` when a picked button names something the content
    /// no longer has.
    pub async fn take(&self, channel: &'static str, user: &str, turn: Turn<'_>) -> Option<Reply> {
        let engine = self.engine.get();
        let mut conversation = self.conversations.get(user).unwrap_or_default();
        let (decision, explanation, text) = match turn {
            Turn::Typed(message) => match engine.respond(&conversation, message) {
                Ok((decision, explanation)) => (decision, Some(explanation), message.to_string()),
                Err(err) => {
                    tracing::error!(error = %err, "the engine failed");
                    (engine.fallback(), None, message.to_string())
                }
            },
            Turn::Picked(choice) => {
                let decision = engine.choose(choice)?;
                let text = match (choice, &decision) {
                    (_, Decision::Answer(answer)) => format!("［選択］{}", answer.question),
                    (ChoiceValue::Category(name), _) => format!("［分類］{name}"),
                    (other, _) => format!("［選択］{}", other.id()),
                };
                (decision, None, text)
            }
            Turn::Unhelpful => {
                let answered = conversation.last_answer.clone().unwrap_or_default();
                let decision = engine.after_unhelpful(&conversation, &answered);
                (decision, None, "［役に立たなかった］".to_string())
            }
        };
        self.metrics.count(
            "madoguchi_decisions_total",
            &[("channel", channel), ("kind", decision.kind())],
        );
        let record = ReplyRecord::new(
            channel,
            Some(user.to_string()),
            text,
            matches!(turn, Turn::Typed(_)),
            &decision,
            explanation.as_ref(),
            &engine.content().version,
        );
        let id = record.id.clone();
        let stored = self.store.record_reply(record).await;
        conversation.record(&decision, explanation.as_ref());
        self.conversations.put(user, conversation);
        Some(Reply {
            id,
            decision,
            stored,
        })
    }

    /// Records a vote on a reply and counts it; false if there is no such
    /// reply.
    pub async fn vote(&self, reply_id: &str, helpful: bool) -> Result<bool, StoreError> {
        let store = self.store.clone();
        let id = reply_id.to_string();
        let found = tokio::task::spawn_blocking(move || store.record_feedback(&id, helpful))
            .await
            .map_err(|err| StoreError::Writer(err.to_string()))??;
        if found {
            self.metrics.count(
                "madoguchi_feedback_total",
                &[("helpful", if helpful { "yes" } else { "no" })],
            );
        }
        Ok(found)
    }
}
