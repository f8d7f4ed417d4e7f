//! The engine's decisions as the chat API returns them.

use serde::Serialize;

use crate::channels::dialogue::{Reply, TicketStatus};
use crate::engine::{Choice, Confidence, Contact, Decision, Link};
use crate::i18n::Lang;
use crate::store::disaster::DisasterNotice;
use crate::text::{Analyzer, RubySegment};

/// The body of a chat reply.
#[derive(Debug, Clone, Serialize)]
pub struct WebReply {
    pub session_id: String,
    /// Identifies this reply for feedback.
    pub reply_id: String,
    /// `answer`, `choices`, `rule`, `flow` or `fallback`.
    pub kind: &'static str,
    /// The language the reply is said in.
    pub lang: Lang,
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
    /// Disaster mode's notice, to show before the reply and on a banner;
    /// absent while the mode is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<Notice>,
    /// The resident's ticket while staff have the conversation: the widget
    /// then fetches staff's replies from /api/v1/handoff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<TicketStatus>,
    /// With `furigana`: the text cut into pieces, kanji with their
    /// readings, for `<ruby>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_ruby: Option<Vec<RubySegment>>,
    /// With `furigana`: each choice's label, likewise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices_ruby: Option<Vec<Vec<RubySegment>>>,
}

/// Disaster mode's notice as the widget shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub text: String,
    pub link: Option<String>,
    /// When it was switched on (Unix time).
    pub since: i64,
}

impl WebReply {
    /// Adds the readings of the text and the choices' labels.
    pub fn with_furigana(mut self, analyzer: &Analyzer) -> WebReply {
        self.text_ruby = Some(analyzer.ruby(&self.text));
        self.choices_ruby = Some(
            self.choices
                .iter()
                .map(|c| analyzer.ruby(&c.label))
                .collect(),
        );
        self
    }
}

impl From<&DisasterNotice> for Notice {
    fn from(notice: &DisasterNotice) -> Notice {
        Notice {
            text: notice.notice.clone(),
            link: notice.link.clone(),
            since: notice.since,
        }
    }
}

impl WebReply {
    pub fn new(reply: Reply, session_id: String) -> WebReply {
        let Reply {
            id: reply_id,
            decision,
            notice,
            ticket,
            furigana: _,
            lang,
        } = reply;
        let mut reply = WebReply {
            session_id,
            reply_id,
            kind: decision.kind(),
            lang,
            text: decision.text().to_string(),
            entry_id: None,
            question: None,
            choices: decision.choices().to_vec(),
            links: decision.links().to_vec(),
            contact: decision.contact().cloned(),
            confidence: None,
            ask_feedback: false,
            notice: notice.as_deref().map(Notice::from),
            ticket,
            text_ruby: None,
            choices_ruby: None,
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
