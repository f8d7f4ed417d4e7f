//! One turn of a resident's conversation, the same on every channel: the
//! engine decides with the user's conversation, the query goes durably into
//! the log, and the conversation takes in the reply.

use std::sync::Arc;

use super::conversations::ConversationKeeper;
use crate::disaster::DisasterMode;
use crate::engine::{
    ChoiceValue, Conversation, Decision, Engine, Explanation, SharedEngine, Situation,
};
use crate::metrics::Metrics;
use crate::store::disaster::DisasterNotice;
use crate::store::retry::ReplyLog;
use crate::store::{ReplyRecord, StoreError};

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

/// A decided reply, written to the query log (or kept to be written when
/// the log fails: answering never waits on a broken log).
pub struct Reply {
    /// Identifies the reply for feedback.
    pub id: String,
    pub decision: Decision,
    /// Disaster mode's notice, said before the reply while it is on.
    pub notice: Option<Arc<DisasterNotice>>,
}

/// Who takes a turn, and what the channel knows of the request.
#[derive(Debug, Clone, Default)]
pub struct Asker {
    /// `web` or `line`.
    pub channel: &'static str,
    /// The user's pseudonym.
    pub user: String,
    /// The network of a web request.
    pub client: Option<String>,
    /// The conversation has just begun (a web session the channel just
    /// named): there is none to look up.
    pub new: bool,
    /// The channel's message being answered (a pseudonym of its id), so
    /// that the log can forget it when the resident takes it back.
    pub message: Option<String>,
}

/// What the channels share to hold conversations.
pub struct Dialogue {
    pub engine: Arc<SharedEngine>,
    pub log: Arc<ReplyLog>,
    pub conversations: Arc<ConversationKeeper>,
    pub metrics: Arc<Metrics>,
    pub disaster: Arc<DisasterMode>,
}

impl Dialogue {
    /// Takes one turn of the asker's conversation. `None` when a picked
    /// button names something the content no longer has.
    pub async fn take(&self, asker: &Asker, turn: Turn<'_>) -> Option<Reply> {
        let (channel, user, new) = (asker.channel, asker.user.as_str(), asker.new);
        let engine = self.engine.get();
        let notice = self.disaster.current();
        let situation = Situation {
            disaster: notice.is_some(),
        };
        let mut conversation = if new {
            Conversation::default()
        } else {
            self.conversations.get(user).await
        };
        let (decision, explanation, text) = match turn {
            Turn::Typed(message) => match engine.respond_in(&conversation, message, situation) {
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
                    (ChoiceValue::More(_), _) => "［もっと見る］".to_string(),
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
        let mut decision = decision;
        engine.note_office_hours(&mut decision, jiff::Timestamp::now());
        self.metrics.count(
            "madoguchi_decisions_total",
            &[("channel", channel), ("kind", decision.kind())],
        );
        let mut record = record_of(
            channel,
            user,
            text,
            matches!(turn, Turn::Typed(_)),
            &decision,
            explanation.as_ref(),
            &engine,
        );
        record.client = asker.client.clone();
        record.source_message = asker.message.clone();
        let id = record.id.clone();
        conversation.record(&decision, explanation.as_ref());
        let kept = self.conversations.keep(user, conversation);
        self.log.record(record, kept).await;
        Some(Reply {
            id,
            decision,
            notice,
        })
    }

    /// Records a vote on a reply and counts it; false if there is no such
    /// reply.
    pub async fn vote(&self, reply_id: &str, helpful: bool) -> Result<bool, StoreError> {
        let store = self.log.store().clone();
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

/// The log record of `decision`, made for `text` (with its explanation when
/// the engine searched), under a new reply id. Ids are time-ordered (UUID
/// version 7), so each insert lands at the end of the id index rather than
/// on a random page of it.
fn record_of(
    channel: &str,
    user: &str,
    text: String,
    typed: bool,
    decision: &Decision,
    explanation: Option<&Explanation>,
    engine: &Engine,
) -> ReplyRecord {
    ReplyRecord {
        id: uuid::Uuid::now_v7().simple().to_string(),
        channel: channel.to_string(),
        session: Some(user.to_string()),
        client: None,
        text,
        typed,
        words: explanation.map(|e| e.words.clone()).unwrap_or_default(),
        decision: decision.kind().to_string(),
        entry_id: decision.answer_id().map(String::from),
        confidence: match decision {
            Decision::Answer(answer) => Some(answer.confidence.as_str().to_string()),
            _ => None,
        },
        candidates: explanation
            .map(|e| {
                e.candidates
                    .iter()
                    .take(5)
                    .map(|c| (c.id.clone(), c.score))
                    .collect()
            })
            .unwrap_or_default(),
        content_version: engine.content().version.clone(),
        source_message: None,
        public_numbers: engine.public_numbers(),
    }
}
