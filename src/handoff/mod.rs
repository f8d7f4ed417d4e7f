//! Handing a conversation to staff (有人対応). When a resident asks for a
//! person, finds two answers unhelpful, or gets no answer, the bot offers
//! 「職員に相談する」 for a department that takes handoffs and whose counter
//! is open (「メッセージを残す」 when it is closed). Picking it opens a
//! ticket: the bot steps aside and the resident's messages go to staff,
//! whose replies reach the resident (pushed in LINE, fetched by the widget)
//! until staff close it, the resident says 「ボットに戻る」, or it times out.
//! Everything is in the store, so every replica sees the same tickets.

mod notices;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use crate::config::HandoffSettings;
use crate::engine::{Choice, ChoiceValue, Conversation, Decision, Link, SharedEngine};
use crate::hours::{Clock, Status};
use crate::i18n::{FOREIGN, Lang, fill};
use crate::metrics::Metrics;
use crate::store::handoff::{MessageKind, NewTicket, Ticket, TicketMessage, TicketState};
use crate::store::{Store, StoreError};

/// Departments offered at most, when the resident picks one.
const MAX_OFFERED: usize = 4;
/// How often idle tickets are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(15);

/// Pushes a text to a resident where the channel can (LINE).
pub trait Messenger: Send + Sync {
    /// Sends `text` to `address` (as the ticket keeps it); `key` is the
    /// same for every attempt at one message.
    fn push<'a>(
        &'a self,
        address: &'a str,
        text: &'a str,
        key: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// The handoff service of one server.
pub struct Handoff {
    settings: HandoffSettings,
    store: Arc<Store>,
    engine: Arc<SharedEngine>,
    clock: Clock,
    metrics: Arc<Metrics>,
    /// LINE, once its channel is up.
    messenger: OnceLock<Arc<dyn Messenger>>,
    /// Wakes the widgets waiting on this server when staff act.
    changed: tokio::sync::Notify,
}

/// What a resident's message in a handoff came to.
pub enum ResidentTurn {
    /// It went to the ticket, in this state.
    Sent { ticket: i64, state: TicketState },
    /// 「ボットに戻る」: the ticket is closed.
    BackToBot,
}

/// Who the ticket is for, as the channel knows them.
pub struct Resident<'a> {
    pub channel: &'a str,
    /// The pseudonym conversations are kept under.
    pub key: &'a str,
    /// Where replies are pushed (LINE: the sealed user id).
    pub address: Option<&'a str>,
}

impl Handoff {
    pub fn new(
        settings: HandoffSettings,
        store: Arc<Store>,
        engine: Arc<SharedEngine>,
        clock: Clock,
        metrics: Arc<Metrics>,
    ) -> Arc<Handoff> {
        Arc::new(Handoff {
            settings,
            store,
            engine,
            clock,
            metrics,
            messenger: OnceLock::new(),
            changed: tokio::sync::Notify::new(),
        })
    }

    /// Whether any department takes handoffs.
    pub fn enabled(&self) -> bool {
        !self.settings.departments.is_empty()
    }

    /// Lets staff replies reach LINE residents.
    pub fn set_messenger(&self, messenger: Arc<dyn Messenger>) {
        let _ = self.messenger.set(messenger);
    }

    /// Runs the store work off the async workers.
    async fn on_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .map_err(|err| StoreError::Writer(err.to_string()))?
    }

    /// Whether `department`'s counter is open now (a department without
    /// opening hours is taken as open).
    pub fn open_now(&self, department: &str) -> bool {
        let engine = self.engine.get();
        let content = engine.content();
        let Some(weekly) = content
            .departments
            .get(department)
            .and_then(|d| d.opening.as_ref()?.weekly().ok())
        else {
            return true;
        };
        crate::hours::status(&weekly, &content.calendar(), self.clock.now()) == Status::Open
    }

    /// The choices to offer with `decision`: a person, when the resident
    /// asked for one (the rule `escalate`), got no answer, or found answers
    /// unhelpful twice. For the department the decision names, else the
    /// best candidate's, when it takes handoffs; else the resident picks
    /// among those that do.
    pub fn offer(&self, decision: &Decision, conversation: &Conversation) -> Vec<Choice> {
        if !self.enabled() {
            return Vec::new();
        }
        let asked = match decision {
            Decision::Rule { rule, .. } => rule == "escalate",
            Decision::Fallback { .. } => true,
            _ => false,
        };
        if !asked && conversation.unhelpful < 2 {
            return Vec::new();
        }
        let engine = self.engine.get();
        let content = engine.content();
        let takes = |d: &String| self.settings.departments.contains(d);
        let named = decision
            .contact()
            .map(|c| c.department_id.clone())
            .filter(takes)
            .or_else(|| {
                let best = content.entry(conversation.candidates.first()?)?;
                content
                    .department_of(best)
                    .map(|d| d.id.clone())
                    .filter(takes)
            });
        let departments = match named {
            Some(department) => vec![department],
            None => self
                .settings
                .departments
                .iter()
                .take(MAX_OFFERED)
                .cloned()
                .collect(),
        };
        departments
            .into_iter()
            .map(|department| {
                let lang = conversation.lang.unwrap_or(Lang::Ja);
                let name = content
                    .departments
                    .get(&department)
                    .map_or(department.as_str(), |d| d.name_in(lang));
                let texts = lang.bot();
                let offer = if self.open_now(&department) {
                    texts.offer_staff
                } else {
                    texts.offer_message
                };
                let label = fill(offer, &[("name", name)]);
                Choice {
                    value: ChoiceValue::Handoff(department),
                    label,
                }
            })
            .collect()
    }

    /// The resident's ticket that is not closed.
    pub async fn active(&self, resident: &str) -> Option<Ticket> {
        let resident = resident.to_string();
        self.on_store(move |store| store.active_ticket(&resident))
            .await
            .unwrap_or_else(|err| {
                tracing::error!(error = %err, "cannot read tickets");
                None
            })
    }

    /// Hands the conversation to `department`: opens a ticket, tells staff,
    /// and says what happens next (after the privacy notice); the ticket's
    /// id with it.
    pub async fn start(
        &self,
        resident: Resident<'_>,
        department: &str,
        conversation: &Conversation,
    ) -> Result<(Decision, i64), StoreError> {
        let engine = self.engine.get();
        let content = engine.content();
        let lang = conversation.lang.unwrap_or(Lang::Ja);
        let texts = lang.bot();
        let name = content
            .departments
            .get(department)
            .map_or(department, |d| d.name_in(lang))
            .to_string();
        let open = self.open_now(department);
        let context = serde_json::json!({
            "turns": conversation.recent,
            "candidates": conversation.candidates.iter().take(5).collect::<Vec<_>>(),
        })
        .to_string();
        let new = (
            resident.channel.to_string(),
            resident.key.to_string(),
            resident.address.map(String::from),
            department.to_string(),
        );
        let ticket = self
            .on_store(move |store| {
                store.open_ticket(
                    &NewTicket {
                        channel: &new.0,
                        resident: &new.1,
                        address: new.2.as_deref(),
                        department: &new.3,
                        left_message: !open,
                        context: &context,
                        lang: lang.code(),
                    },
                    None,
                )
            })
            .await?;
        self.metrics.count(
            "madoguchi_handoffs_total",
            &[("channel", resident.channel), ("department", department)],
        );
        if let Some(url) = self
            .settings
            .webhooks
            .iter()
            .find(|w| w.department == department)
            .map(|w| w.url.clone())
        {
            let body = notices::new_ticket_body(
                ticket,
                &name,
                department,
                resident.channel,
                !open,
                &self.settings.admin_url,
            );
            self.on_store(move |store| store.queue_staff_notice(ticket, &url, &body))
                .await?;
        }
        self.changed.notify_waiters();
        let notice = self.settings.privacy_notice.trim();
        let (text, links) = if open {
            (
                format!(
                    "{notice}\n\n{}",
                    fill(
                        texts.connecting,
                        &[("name", &name), ("back", texts.back_to_bot)]
                    )
                ),
                Vec::new(),
            )
        } else {
            let later = if resident.channel == "line" {
                texts.reply_later_line
            } else {
                texts.reply_later_web
            };
            let form = content
                .procedures
                .get(&content.rules.fallback.inquiry_form)
                .map(Link::from)
                .filter(|_| resident.channel != "line");
            (
                format!(
                    "{notice}\n\n{}",
                    fill(texts.leave_message, &[("name", &name), ("later", later)])
                ),
                form.into_iter().collect(),
            )
        };
        let decision = Decision::Rule {
            rule: "handoff".into(),
            text,
            choices: Vec::new(),
            contact: None,
            links,
        };
        Ok((decision, ticket))
    }

    /// A resident's message while their ticket is open.
    pub async fn from_resident(
        &self,
        ticket: Ticket,
        text: &str,
    ) -> Result<ResidentTurn, StoreError> {
        let id = ticket.id;
        if is_back_to_bot(text) {
            self.on_store(move |store| {
                store.close_ticket(id, "resident", None)?;
                store.add_ticket_message(id, "", MessageKind::System, "住民がボットに戻りました。")
            })
            .await?;
            self.changed.notify_waiters();
            return Ok(ResidentTurn::BackToBot);
        }
        let text = text.to_string();
        self.on_store(move |store| store.add_ticket_message(id, "", MessageKind::Resident, &text))
            .await?;
        self.changed.notify_waiters();
        Ok(ResidentTurn::Sent {
            ticket: id,
            state: ticket.state,
        })
    }

    /// Staff reply to the resident: kept, pushed to LINE, and woken up
    /// for the widget. `Err` says why it did not reach the resident.
    pub async fn reply(&self, ticket: i64, staff: &str, text: &str) -> Result<(), String> {
        let (staff, body) = (staff.to_string(), text.to_string());
        let added = self
            .on_store(move |store| {
                let added = store.add_ticket_message(ticket, &staff, MessageKind::Staff, &body)?;
                Ok(added.zip(store.ticket(ticket)?))
            })
            .await
            .map_err(|err| err.to_string())?;
        let Some((message, ticket)) = added else {
            return Err("この相談は終了しています。".into());
        };
        self.changed.notify_waiters();
        self.push(&ticket, text, &format!("ticket-message-{message}"))
            .await
    }

    /// Pushes to a LINE resident; nothing for the web (the widget fetches).
    async fn push(&self, ticket: &Ticket, text: &str, key: &str) -> Result<(), String> {
        let (Some(address), Some(messenger)) = (&ticket.address, self.messenger.get()) else {
            return Ok(());
        };
        let result = messenger.push(address, text, key).await;
        self.metrics.count(
            "madoguchi_handoff_pushes_total",
            &[("outcome", if result.is_ok() { "sent" } else { "failed" })],
        );
        result
    }

    /// A note staff keep to themselves.
    pub async fn note(&self, ticket: i64, staff: &str, text: &str) -> Result<bool, StoreError> {
        let (staff, text) = (staff.to_string(), text.to_string());
        let added = self
            .on_store(move |store| {
                store.add_ticket_message(ticket, &staff, MessageKind::Note, &text)
            })
            .await?;
        Ok(added.is_some())
    }

    pub async fn take(&self, ticket: i64, staff: &str) -> Result<bool, StoreError> {
        let staff = staff.to_string();
        let taken = self
            .on_store(move |store| {
                let taken = store.take_ticket(ticket, &staff)?;
                if taken && let Some(found) = store.ticket(ticket)? {
                    let said = lang_of(&found).bot().staff_working;
                    store.add_ticket_message(ticket, &staff, MessageKind::System, said)?;
                }
                Ok(taken)
            })
            .await?;
        self.changed.notify_waiters();
        Ok(taken)
    }

    /// Takes a ticket nobody has taken yet (a reply takes it too).
    pub async fn take_if_waiting(&self, ticket: i64, staff: &str) -> Result<bool, StoreError> {
        let waiting = self
            .on_store(move |store| Ok(store.ticket(ticket)?.map(|t| t.state)))
            .await?
            == Some(TicketState::Waiting);
        if waiting {
            self.take(ticket, staff).await
        } else {
            Ok(false)
        }
    }

    pub async fn transfer(
        &self,
        ticket: i64,
        staff: &str,
        department: &str,
    ) -> Result<bool, StoreError> {
        let (staff, department) = (staff.to_string(), department.to_string());
        let moved = self
            .on_store(move |store| {
                let moved = store.transfer_ticket(ticket, &department)?;
                if moved {
                    store.add_ticket_message(
                        ticket,
                        &staff,
                        MessageKind::Note,
                        &format!("{department} に引き継ぎました。"),
                    )?;
                }
                Ok(moved)
            })
            .await?;
        Ok(moved)
    }

    /// Staff close a ticket (with the entry that answers it); the resident
    /// is told and is back with the bot.
    pub async fn close(
        &self,
        ticket: i64,
        staff: &str,
        entry: Option<&str>,
    ) -> Result<bool, StoreError> {
        let (staff, entry) = (staff.to_string(), entry.map(String::from));
        let closed = self
            .on_store(move |store| {
                let found = store.ticket(ticket)?;
                let said = found
                    .as_ref()
                    .map_or(Lang::Ja, lang_of)
                    .bot()
                    .closed_by_staff;
                store.add_ticket_message(ticket, &staff, MessageKind::System, said)?;
                let closed = store.close_ticket(ticket, "staff", entry.as_deref())?;
                Ok(found.filter(|_| closed))
            })
            .await?;
        self.changed.notify_waiters();
        if let Some(ticket) = &closed
            && let Err(err) = self
                .push(
                    ticket,
                    lang_of(ticket).bot().closed_by_staff,
                    &format!("ticket-closed-{}", ticket.id),
                )
                .await
        {
            tracing::warn!(error = %err, "the resident was not told the ticket closed");
        }
        Ok(closed.is_some())
    }

    /// The resident's newest ticket and its messages for them after
    /// `after`, waiting up to `wait` for something new (staff reply or a
    /// change of state) when there is nothing yet.
    pub async fn news(
        &self,
        resident: &str,
        after: i64,
        wait: Duration,
    ) -> Result<Option<(Ticket, Vec<TicketMessage>)>, StoreError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let changed = self.changed.notified();
            let key = resident.to_string();
            let found = self
                .on_store(move |store| {
                    let Some(ticket) = store.latest_ticket(&key)? else {
                        return Ok(None);
                    };
                    let messages: Vec<TicketMessage> = store
                        .ticket_messages(ticket.id, after)?
                        .into_iter()
                        .filter(|m| m.kind.shown_to_resident())
                        .collect();
                    Ok(Some((ticket, messages)))
                })
                .await?;
            let settled = match &found {
                None => true,
                Some((ticket, messages)) => {
                    !messages.is_empty() || ticket.state == TicketState::Closed
                }
            };
            let now = tokio::time::Instant::now();
            if settled || now >= deadline {
                return Ok(found);
            }
            // Woken by staff on this server; every second for the others.
            let _ = tokio::time::timeout(Duration::from_secs(1).min(deadline - now), changed).await;
        }
    }

    /// Closes tickets idle for `idle_minutes`, telling both sides.
    async fn sweep(&self) {
        let idle_since = crate::store::shared::now_ms()
            - i64::try_from(self.settings.idle_minutes * 60_000).unwrap_or(i64::MAX);
        let expired = match self
            .on_store(move |store| {
                let expired = store.expire_tickets(idle_since)?;
                for ticket in &expired {
                    let said = lang_of(ticket).bot().timed_out;
                    store.add_ticket_message(ticket.id, "", MessageKind::System, said)?;
                }
                Ok(expired)
            })
            .await
        {
            Ok(expired) => expired,
            Err(err) => {
                tracing::error!(error = %err, "cannot close idle tickets");
                return;
            }
        };
        if expired.is_empty() {
            return;
        }
        self.changed.notify_waiters();
        for ticket in expired {
            let _ = self
                .push(
                    &ticket,
                    lang_of(&ticket).bot().timed_out,
                    &format!("ticket-timeout-{}", ticket.id),
                )
                .await;
        }
    }

    /// Closes idle tickets and sends the notices to staff, on a thread of
    /// its own, until the process ends.
    pub fn run_in_background(self: Arc<Self>) {
        let spawned = std::thread::Builder::new()
            .name("handoff".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        tracing::error!(error = %err, "cannot run the handoff work");
                        return;
                    }
                };
                runtime.block_on(async move {
                    let sender = notices::Sender::new(&self.settings, self.metrics.clone());
                    let mut next_sweep = tokio::time::Instant::now();
                    loop {
                        if tokio::time::Instant::now() >= next_sweep {
                            self.sweep().await;
                            next_sweep += SWEEP_EVERY;
                        }
                        if !sender.send_due(&self.store).await {
                            tokio::time::sleep(notices::POLL).await;
                        }
                    }
                });
            });
        if let Err(err) = spawned {
            tracing::error!(error = %err, "cannot start the handoff work");
        }
    }
}

/// The language a ticket's resident reads.
fn lang_of(ticket: &Ticket) -> Lang {
    Lang::parse(&ticket.lang).unwrap_or(Lang::Ja)
}

/// Whether a resident's message asks to leave staff for the bot: 「ボットに
/// 戻る」 in Japanese or in any language the bot speaks.
fn is_back_to_bot(text: &str) -> bool {
    static SAID: LazyLock<Vec<String>> = LazyLock::new(|| {
        std::iter::once(Lang::Ja)
            .chain(FOREIGN)
            .map(|lang| {
                crate::text::normalize(lang.bot().back_to_bot)
                    .trim()
                    .to_string()
            })
            .collect()
    });
    let text = crate::text::normalize(text);
    SAID.iter().any(|said| said == text.trim())
}
