//! Answers one webhook event: asks the engine, records the reply and sends
//! it through the Messaging API.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;

use super::LineDeps;
use super::client::{LineClient, RetryKey, SendError};
use super::messages::{self, Message};
use super::webhook::{Event, PostbackData, Source};
use crate::channels::dialogue::{Asker, LanguageSource, Turn};
use crate::faq::shelter::nearest;
use crate::i18n::Lang;

/// Shelters named to a resident who shares a location.
const SHELTERS_SHOWN: usize = 3;
/// The content's rule whose reply says what the bot answers (the menu's).
const INTRODUCTION_RULE: &str = "menu";

pub(super) struct Responder {
    pub(super) client: Arc<LineClient>,
    pub(super) push_fallback: bool,
    pub(super) loading_after: Duration,
    pub(super) deps: LineDeps,
}

impl Responder {
    /// Handles one event; every outcome is logged and counted, none fails.
    pub(super) async fn handle(&self, event: Event, received: Instant) {
        self.respond(event, received).await;
        self.deps
            .dialogue
            .metrics
            .count("madoguchi_line_events_handled_total", &[]);
    }

    async fn respond(&self, event: Event, received: Instant) {
        let Some(source) = event.source.clone() else {
            return self.ignore(&event, "no_source");
        };
        let Some(chat_id) = source.chat_id().map(String::from) else {
            return self.ignore(&event, "no_source");
        };
        if event.mode.as_deref() == Some("standby") {
            return self.ignore(&event, "standby");
        }
        let user = self.deps.pseudonyms.of("line", &chat_id);
        let span = tracing::info_span!("line_event", kind = %event.kind, user = %user);
        async {
            let asker = Asker {
                channel: "line",
                user: user.clone(),
                address: Some(self.deps.pseudonyms.seal(&chat_id)),
                language_source: self.profile(&event, &source),
                ..Asker::default()
            };
            let work = self.answer(&event, &source, &asker);
            tokio::pin!(work);
            // The loading animation is for one-to-one chats.
            let loading_in = source.is_user().then_some(chat_id.as_str());
            let wait = self.loading_after.saturating_sub(received.elapsed());
            let messages = if wait.is_zero() {
                // Already late from waiting in the queue.
                self.with_loading(&mut work, loading_in).await
            } else {
                tokio::select! {
                    biased;
                    messages = &mut work => messages,
                    () = tokio::time::sleep(wait) => self.with_loading(&mut work, loading_in).await,
                }
            };
            match messages {
                Some(messages) if !messages.is_empty() => {
                    self.deliver(&event, &chat_id, &messages).await;
                }
                _ => {}
            }
        }
        .instrument(span)
        .await;
    }

    /// Finishes `work` while the loading animation shows in `chat`.
    async fn with_loading<T>(
        &self,
        work: impl std::future::Future<Output = T>,
        chat: Option<&str>,
    ) -> T {
        match chat {
            Some(chat) => tokio::join!(work, self.client.start_loading(chat)).0,
            None => work.await,
        }
    }

    fn ignore(&self, event: &Event, reason: &str) {
        tracing::debug!(kind = %event.kind, reason, "event ignored");
        self.deps.dialogue.metrics.count(
            "madoguchi_line_ignored_total",
            &[("type", &event.kind), ("reason", reason)],
        );
    }

    /// The messages answering the event, if it calls for an answer.
    async fn answer(&self, event: &Event, source: &Source, asker: &Asker) -> Option<Vec<Message>> {
        let user = asker.user.as_str();
        let engine = self.deps.dialogue.engine.get();
        // What the bot says itself, outside a turn of the dialogue, is
        // said in the resident's language (replies of turns carry theirs).
        let said = async || {
            let lang = self.language(asker).await;
            (lang, lang.bot())
        };
        let introduction = |lang| {
            engine
                .rule_reply(INTRODUCTION_RULE, lang)
                .unwrap_or_default()
                .to_string()
        };
        match event.kind.as_str() {
            "message" => {
                let message = event.message.as_ref()?;
                if !source.is_user() && !message.mentions_bot() {
                    // In groups the bot speaks only when spoken to.
                    self.ignore(event, "not_mentioned");
                    return None;
                }
                if message.kind == "location" {
                    // Someone who shares where they are asks where to go:
                    // the nearest shelters, then the content's answer.
                    let nearest = match (message.latitude, message.longitude) {
                        (Some(latitude), Some(longitude)) => nearest(
                            &engine.content().shelters,
                            latitude,
                            longitude,
                            SHELTERS_SHOWN,
                        ),
                        _ => Vec::new(),
                    };
                    let (lang, _) = said().await;
                    let shelters = messages::shelters(&nearest, lang);
                    match engine.location_answer() {
                        Some(answer) => {
                            return self
                                .reply_after(asker, Turn::Picked(&answer), None, shelters)
                                .await;
                        }
                        None if shelters.is_some() => {
                            let notice = self.deps.dialogue.disaster.current();
                            return Some(messages::with_notice(
                                shelters.into_iter().collect(),
                                notice.as_deref(),
                                lang,
                            ));
                        }
                        None => {}
                    }
                }
                if message.kind != "text" {
                    let (lang, texts) = said().await;
                    return Some(messages::text_with_choices(
                        texts.please_type,
                        engine.menu().choices(),
                        lang,
                    ));
                }
                let text: String = message
                    .text_without_self_mentions()
                    .chars()
                    .take(self.deps.max_text_chars)
                    .collect();
                let id = message.id.as_deref().map(|id| self.message_key(id));
                self.reply(asker, Turn::Typed(&text), id).await
            }
            "postback" => {
                let data = event.postback.as_ref()?;
                match PostbackData::decode(&data.data) {
                    Some(PostbackData::Choice(choice)) => {
                        match self.reply(asker, Turn::Picked(&choice), None).await {
                            Some(messages) => Some(messages),
                            None => {
                                let (lang, texts) = said().await;
                                Some(messages::text_with_choices(
                                    texts.choice_gone,
                                    engine.menu().choices(),
                                    lang,
                                ))
                            }
                        }
                    }
                    Some(PostbackData::Vote { reply, helpful }) => {
                        match self.deps.dialogue.vote(&reply, helpful).await {
                            Ok(true) => {}
                            Ok(false) => tracing::info!("vote on an unknown reply"),
                            Err(err) => {
                                tracing::error!(error = %err, "the vote could not be stored")
                            }
                        }
                        if helpful {
                            Some(messages::plain(said().await.1.thanks_helpful))
                        } else {
                            self.reply(asker, Turn::Unhelpful, None).await
                        }
                    }
                    Some(PostbackData::MenuSwitch(_)) => None,
                    None => {
                        self.ignore(event, "unknown_postback");
                        None
                    }
                }
            }
            "follow" => {
                let (lang, texts) = said().await;
                Some(messages::text_with_choices(
                    &format!("{}\n{}", texts.welcome, introduction(lang)),
                    engine.menu().choices(),
                    lang,
                ))
            }
            "join" | "memberJoined" => {
                let (lang, texts) = said().await;
                Some(messages::text_with_choices(
                    &format!("{}\n{}", introduction(lang), texts.group_hint),
                    engine.menu().choices(),
                    lang,
                ))
            }
            "unfollow" => {
                self.deps.dialogue.conversations.forget(user).await;
                self.ignore(event, "unfollow");
                None
            }
            "unsend" => {
                let id = event.unsend.as_ref()?.message_id.clone();
                self.forget_message(self.message_key(&id)).await;
                None
            }
            _ => {
                self.ignore(event, "unsupported");
                None
            }
        }
    }

    /// Takes a turn of the user's conversation (answering the message
    /// `message`, if typed) and renders the reply; `None` when a tapped
    /// button names nothing any more. A message that went to staff gets
    /// no reply.
    async fn reply(
        &self,
        asker: &Asker,
        turn: Turn<'_>,
        message: Option<String>,
    ) -> Option<Vec<Message>> {
        self.reply_after(asker, turn, message, None).await
    }

    /// [`Self::reply`] with `lead` before the reply (after disaster mode's
    /// notice).
    async fn reply_after(
        &self,
        asker: &Asker,
        turn: Turn<'_>,
        message: Option<String>,
        lead: Option<Message>,
    ) -> Option<Vec<Message>> {
        let asker = Asker {
            message,
            ..asker.clone()
        };
        let reply = self.deps.dialogue.take(&asker, turn).await?;
        if reply.ticket.is_some_and(|t| t.to_staff) {
            return Some(Vec::new());
        }
        Some(messages::with_notice(
            messages::with_first(
                messages::render(&reply.decision, &reply.id, reply.lang),
                lead,
            ),
            reply.notice.as_deref(),
            reply.lang,
        ))
    }

    /// Where a resident's language is found when their conversation has
    /// none yet: their LINE profile, for the events a resident sends
    /// one-to-one.
    fn profile(&self, event: &Event, source: &Source) -> Option<Arc<dyn LanguageSource>> {
        let sent = matches!(event.kind.as_str(), "message" | "postback" | "follow");
        let user_id = source
            .user_id
            .clone()
            .filter(|_| sent && source.is_user())?;
        Some(Arc::new(ProfileLanguage {
            client: self.client.clone(),
            user_id,
        }))
    }

    /// The language of the asker's conversation, else their profile's,
    /// else Japanese: for what the bot says outside a turn of the dialogue.
    async fn language(&self, asker: &Asker) -> Lang {
        let known = self.deps.dialogue.conversations.get(&asker.user).await.lang;
        match known {
            Some(lang) => lang,
            None => asker.first_language().await.unwrap_or(Lang::Ja),
        }
    }

    /// A LINE message id as the log keeps it: a pseudonym.
    fn message_key(&self, message_id: &str) -> String {
        self.deps.pseudonyms.of("line-message", message_id)
    }

    /// Deletes the text of a message its sender unsent from the log.
    async fn forget_message(&self, key: String) {
        let store = self.deps.dialogue.log.store().clone();
        match tokio::task::spawn_blocking(move || store.forget_message(&key)).await {
            Ok(Ok(forgotten)) => self.deps.dialogue.metrics.count(
                "madoguchi_line_unsent_total",
                &[("found", if forgotten > 0 { "yes" } else { "no" })],
            ),
            _ => tracing::error!("an unsent message could not be deleted from the log"),
        }
    }

    /// Replies with the event's token; pushes instead when the token has
    /// expired and pushing is allowed.
    async fn deliver(&self, event: &Event, chat_id: &str, messages: &[Message]) {
        let outcome = match event.reply_token.as_deref() {
            Some(token) => match self.client.reply(token, messages).await {
                Ok(()) => "replied",
                Err(SendError::InvalidReplyToken) if self.push_fallback => {
                    let key = event
                        .webhook_event_id
                        .as_deref()
                        .map_or_else(RetryKey::new, RetryKey::for_event);
                    match self.client.push(chat_id, messages, &key).await {
                        Ok(()) => "pushed",
                        Err(err) => {
                            tracing::warn!(error = %err, "push failed");
                            "failed"
                        }
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "reply failed");
                    "failed"
                }
            },
            None => "no_reply_token",
        };
        self.deps
            .dialogue
            .metrics
            .count("madoguchi_line_deliveries_total", &[("outcome", outcome)]);
    }
}

/// A LINE user's profile language, asked of the Messaging API.
struct ProfileLanguage {
    client: Arc<LineClient>,
    user_id: String,
}

impl std::fmt::Debug for ProfileLanguage {
    /// Without the user id: logs never name a resident.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProfileLanguage")
    }
}

impl LanguageSource for ProfileLanguage {
    fn language(&self) -> Pin<Box<dyn Future<Output = Option<Lang>> + Send + '_>> {
        Box::pin(async move {
            match self.client.profile_language(&self.user_id).await {
                Ok(language) => language.as_deref().and_then(Lang::parse),
                Err(err) => {
                    tracing::info!(error = %err, "the profile's language is unknown");
                    None
                }
            }
        })
    }
}
