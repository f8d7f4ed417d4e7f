//! One turn of a resident's conversation, the same on every channel: the
//! engine decides with the user's conversation, the query goes durably into
//! the log, and the conversation takes in the reply.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::conversations::ConversationKeeper;
use crate::disaster::DisasterMode;
use crate::engine::{
    ChoiceValue, Conversation, Decision, Engine, Explanation, SharedEngine, Situation,
};
use crate::handoff::{Handoff, Resident, ResidentTurn};
use crate::hours::Clock;
use crate::i18n::Lang;
use crate::metrics::Metrics;
use crate::store::disaster::DisasterNotice;
use crate::store::handoff::TicketState;
use crate::store::retry::ReplyLog;
use crate::store::{ReplyRecord, StoreError};

/// Said when a resident asks for やさしい日本語, and when they go back.
const EASY_ON: &str = "これから、やさしい日本語でこたえます。もとにもどすときは「ふつうの日本語」とおくってください。";
const EASY_OFF: &str = "ふつうの日本語でお答えします。";

/// Whether a message asks for やさしい日本語 (`true`) or back to the usual
/// Japanese (`false`).
fn language_request(message: &str) -> Option<bool> {
    match crate::text::normalize(message).trim() {
        "やさしい日本語" | "やさしいにほんご" => Some(true),
        "ふつうの日本語" | "ふつうのにほんご" => Some(false),
        _ => None,
    }
}

/// Whether a message is written in Japanese: it has kana (or, unless the
/// resident reads Chinese, kanji).
fn is_japanese(message: &str, lang: Lang) -> bool {
    message.chars().any(|c| {
        crate::text::normalize::is_kana(c)
            || (lang != Lang::Zh && crate::text::normalize::is_kanji(c))
    })
}

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
    /// The resident's ticket, while staff have the conversation.
    pub ticket: Option<TicketStatus>,
    /// The resident reads with ふりがな.
    pub furigana: bool,
    /// The language the reply is said in (its fixed texts too).
    pub lang: Lang,
}

/// A resident's ticket as the channels show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TicketStatus {
    pub id: i64,
    pub state: TicketState,
    /// The message went to staff: the bot says nothing.
    pub to_staff: bool,
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
    /// Where staff replies can be pushed (LINE: the sealed user id).
    pub address: Option<String>,
    /// How the resident wants to read (the widget's toggles), when the
    /// channel says; kept for the conversation.
    pub reading: Reading,
    /// Where the channel finds the resident's language when their
    /// conversation has none yet (LINE: the profile), asked only then.
    pub language_source: Option<Arc<dyn LanguageSource>>,
}

/// A channel's way to find a resident's language (a call to its platform),
/// for a conversation that has none yet.
pub trait LanguageSource: Send + Sync + std::fmt::Debug {
    fn language(&self) -> Pin<Box<dyn Future<Output = Option<Lang>> + Send + '_>>;
}

impl Asker {
    /// The language to start a conversation in when the resident chose
    /// none: the channel's hint, else its source's answer.
    pub async fn first_language(&self) -> Option<Lang> {
        match (self.reading.lang_hint, &self.language_source) {
            (Some(lang), _) => Some(lang),
            (None, Some(source)) => source.language().await,
            (None, None) => None,
        }
    }
}

/// How a resident asked to read answers; `None`: as before in the
/// conversation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reading {
    pub easy: Option<bool>,
    pub furigana: Option<bool>,
    /// The language to answer in.
    pub lang: Option<Lang>,
    /// The language to start a conversation in when none was chosen (the
    /// browser's).
    pub lang_hint: Option<Lang>,
}

/// What the channels share to hold conversations.
pub struct Dialogue {
    pub engine: Arc<SharedEngine>,
    pub log: Arc<ReplyLog>,
    pub conversations: Arc<ConversationKeeper>,
    pub metrics: Arc<Metrics>,
    pub disaster: Arc<DisasterMode>,
    pub handoff: Arc<Handoff>,
    /// The instant office hours are judged at.
    pub clock: Clock,
}

impl Dialogue {
    /// Takes one turn of the asker's conversation. `None` when a picked
    /// button names something the content no longer has.
    pub async fn take(&self, asker: &Asker, turn: Turn<'_>) -> Option<Reply> {
        let (user, new) = (asker.user.as_str(), asker.new);
        let notice = self.disaster.current();
        if let Turn::Typed(message) = turn
            && !new
            && self.handoff.enabled()
            && let Some(ticket) = self.handoff.active(user).await
        {
            // Staff have the conversation: the message is theirs.
            let lang = Lang::parse(&ticket.lang).unwrap_or(Lang::Ja);
            match self.handoff.from_resident(ticket, message).await {
                Ok(ResidentTurn::Sent { ticket, state }) => {
                    return Some(Reply {
                        id: String::new(),
                        decision: Decision::Rule {
                            rule: "handoff".into(),
                            text: lang.bot().sent_to_staff.into(),
                            choices: Vec::new(),
                            contact: None,
                            links: Vec::new(),
                        },
                        notice,
                        ticket: Some(TicketStatus {
                            id: ticket,
                            state,
                            to_staff: true,
                        }),
                        furigana: false,
                        lang,
                    });
                }
                Ok(ResidentTurn::BackToBot) => {
                    return self.turn(asker, Turn::Typed("メニュー"), notice).await;
                }
                Err(err) => tracing::error!(error = %err, "the message could not reach staff"),
            }
        }
        self.turn(asker, turn, notice).await
    }

    /// A turn with the bot: the engine decides, unless the resident picks a
    /// person; a person is offered when the bot cannot help.
    async fn turn(
        &self,
        asker: &Asker,
        turn: Turn<'_>,
        notice: Option<Arc<DisasterNotice>>,
    ) -> Option<Reply> {
        let (channel, user, new) = (asker.channel, asker.user.as_str(), asker.new);
        let engine = self.engine.get();
        let situation = Situation {
            disaster: notice.is_some(),
        };
        let mut conversation = if new {
            Conversation::default()
        } else {
            self.conversations.get(user).await
        };
        let handoff_to = match turn {
            Turn::Picked(ChoiceValue::Handoff(department)) => Some(department.clone()),
            Turn::Typed(message) => match conversation.pick(message) {
                Some(ChoiceValue::Handoff(department)) => Some(department),
                _ => None,
            },
            _ => None,
        };
        let mut ticket = None;
        if let Some(easy) = asker.reading.easy {
            conversation.easy = easy;
        }
        if let Some(furigana) = asker.reading.furigana {
            conversation.furigana = furigana;
        }
        match (asker.reading.lang, conversation.lang) {
            (Some(lang), _) => conversation.lang = Some(lang),
            (None, None) => conversation.lang = asker.first_language().await,
            (None, Some(_)) => {}
        }
        let lang = conversation.lang.unwrap_or(Lang::Ja);
        let asked_language = match turn {
            Turn::Typed(message) => language_request(message),
            _ => None,
        };
        let (decision, explanation, text) = match (handoff_to, turn) {
            (_, Turn::Typed(message)) if asked_language.is_some() => {
                let easy = asked_language == Some(true);
                conversation.easy = easy;
                let text = if easy { EASY_ON } else { EASY_OFF };
                (
                    Decision::Rule {
                        rule: "easy_japanese".into(),
                        text: text.into(),
                        choices: Vec::new(),
                        contact: None,
                        links: Vec::new(),
                    },
                    None,
                    message.to_string(),
                )
            }
            (Some(department), _) if self.handoff.enabled() => {
                let resident = Resident {
                    channel,
                    key: user,
                    address: asker.address.as_deref(),
                };
                let decision = match self
                    .handoff
                    .start(resident, &department, &conversation)
                    .await
                {
                    Ok((decision, id)) => {
                        ticket = Some(TicketStatus {
                            id,
                            state: TicketState::Waiting,
                            to_staff: false,
                        });
                        decision
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "the conversation could not be handed over");
                        engine.fallback()
                    }
                };
                (decision, None, format!("［職員に相談］{department}"))
            }
            (_, Turn::Typed(message)) if lang != Lang::Ja && !is_japanese(message, lang) => (
                engine.ask_in_language(lang, message),
                None,
                message.to_string(),
            ),
            (_, Turn::Typed(message)) => match engine.respond_in(&conversation, message, situation)
            {
                Ok((decision, explanation)) => (decision, Some(explanation), message.to_string()),
                Err(err) => {
                    tracing::error!(error = %err, "the engine failed");
                    (engine.fallback(), None, message.to_string())
                }
            },
            (_, Turn::Picked(choice)) => {
                let decision = engine.choose(choice)?;
                let text = match (choice, &decision) {
                    (_, Decision::Answer(answer)) => format!("［選択］{}", answer.question),
                    (ChoiceValue::Category(name), _) => format!("［分類］{name}"),
                    (ChoiceValue::More(_), _) => "［もっと見る］".to_string(),
                    (other, _) => format!("［選択］{}", other.id()),
                };
                (decision, None, text)
            }
            (_, Turn::Unhelpful) => {
                conversation.unhelpful += 1;
                let answered = conversation.last_answer.clone().unwrap_or_default();
                let decision = engine.after_unhelpful(&conversation, &answered);
                (decision, None, "［役に立たなかった］".to_string())
            }
        };
        let mut decision = decision;
        if conversation.easy && lang == Lang::Ja {
            decision.use_easy();
        }
        let translated = engine.in_language(&mut decision, lang);
        // やさしい日本語 comes with ふりがな.
        let furigana = conversation.furigana || conversation.easy;
        engine.note_office_hours(&mut decision, self.clock.now(), lang);
        if ticket.is_none() {
            for person in self.handoff.offer(&decision, &conversation) {
                decision.offer(person);
            }
        }
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
        if !translated {
            // Staff see what residents asked for in other languages.
            record.decision = "untranslated".into();
        }
        let id = record.id.clone();
        conversation.record(&decision, explanation.as_ref());
        conversation.remember_turn(
            crate::text::mask::mask_keeping(&record.text, &engine.public_numbers()),
            &decision,
        );
        let kept = self.conversations.keep(user, conversation);
        self.log.record(record, kept).await;
        Some(Reply {
            id,
            decision,
            notice,
            ticket,
            furigana,
            lang,
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
