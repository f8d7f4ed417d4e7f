//! The engine's decisions as the chat API returns them.

use serde::Serialize;

use crate::engine::{Choice, Confidence, Contact, Decision, Link};

/// The body of a chat reply.
#[derive(Debug, Clone, Serialize)]
pub struct WebReply {
    pub session_id: String,
    /// Identifies this reply for feedback.
    pub reply_id: String,
    /// `answer`, `choices`, `rule`, `flow` or `fallback`.
    pub kind: &'static str,
    pub text: String,
    /// The answered entry, for answers.
    pub entry_id: Option<String>,
    /// The answered question, for answers.
    pub question: Option<String>,
    /// Buttons; the widget sends a picked one's `value` back as `choice`.
    pub choices: Vec<Choice>,
    pub links: Vec<Link>,
    pub contact: Option<Contact>,
    pub confidence: Option<Confidence>,
    /// Whether to ask 「役に立ちましたか？」.
    pub ask_feedback: bool,
}

impl WebReply {
    pub fn new(decision: Decision, session_id: String, reply_id: String) -> WebReply {
        let mut reply = WebReply {
            session_id,
            reply_id,
            kind: decision.kind(),
            text: decision.text().to_string(),
            entry_id: None,
            question: None,
            choices: decision.choices().to_vec(),
            links: decision.links().to_vec(),
            contact: decision.contact().cloned(),
            confidence: None,
            ask_feedback: false,
        };
        if let Decision::Answer(answer) = decision {
            reply.entry_id = Some(answer.id);
            reply.question = Some(answer.question);
            reply.confidence = Some(answer.confidence);
            reply.ask_feedback = true;
        }
        reply
    }
}
