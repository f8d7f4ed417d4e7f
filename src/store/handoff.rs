//! Conversations handed to staff: tickets, their messages (masked before
//! they are written), and the outbox of notices to staff's chat tools.
//! Times are Unix milliseconds.

use super::content::returned_id;
use super::database::{Row, params, transaction};
use super::shared::now_ms;
use super::{Store, StoreError};

/// Where a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// Nobody has taken it yet.
    Waiting,
    /// A member of staff took it.
    Open,
    Closed,
}

impl TicketState {
    pub fn as_str(self) -> &'static str {
        match self {
            TicketState::Waiting => "waiting",
            TicketState::Open => "open",
            TicketState::Closed => "closed",
        }
    }

    fn parse(text: &str) -> TicketState {
        match text {
            "waiting" => TicketState::Waiting,
            "open" => TicketState::Open,
            _ => TicketState::Closed,
        }
    }
}

/// A ticket to open.
#[derive(Debug, Clone)]
pub struct NewTicket<'a> {
    /// `web` or `line`.
    pub channel: &'a str,
    /// The resident's pseudonym.
    pub resident: &'a str,
    /// Where staff replies are pushed (LINE: the sealed user id).
    pub address: Option<&'a str>,
    pub department: &'a str,
    /// Left outside office hours: it waits for staff, without timing out.
    pub left_message: bool,
    /// The conversation before the handover, as JSON.
    pub context: &'a str,
    /// The language the resident reads (`ja`, `en`…).
    pub lang: &'a str,
}

/// A ticket as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: i64,
    pub channel: String,
    pub resident: String,
    pub address: Option<String>,
    pub department: String,
    pub state: TicketState,
    pub assignee: Option<String>,
    pub left_message: bool,
    pub context: String,
    pub created_at: i64,
    pub first_reply_at: Option<i64>,
    pub last_activity_at: i64,
    pub closed_at: Option<i64>,
    /// `staff`, `resident` or `timeout`.
    pub close_reason: Option<String>,
    /// The entry that answers it, named by staff on closing.
    pub answer_entry: Option<String>,
    /// The language the resident reads.
    pub lang: String,
}

/// Who wrote a message of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// The resident, to staff.
    Resident,
    /// Staff, to the resident.
    Staff,
    /// Staff, to each other only.
    Note,
    /// The service (taken, transferred, closed, timed out).
    System,
}

impl MessageKind {
    fn as_str(self) -> &'static str {
        match self {
            MessageKind::Resident => "resident",
            MessageKind::Staff => "staff",
            MessageKind::Note => "note",
            MessageKind::System => "system",
        }
    }

    fn parse(text: &str) -> MessageKind {
        match text {
            "resident" => MessageKind::Resident,
            "staff" => MessageKind::Staff,
            "note" => MessageKind::Note,
            _ => MessageKind::System,
        }
    }

    /// Whether the resident sees it.
    pub fn shown_to_resident(self) -> bool {
        matches!(self, MessageKind::Staff | MessageKind::System)
    }
}

/// A message of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TicketMessage {
    pub id: i64,
    #[serde(skip)]
    pub ticket_id: i64,
    /// The member of staff, or empty for the resident and the service.
    pub author: String,
    pub kind: MessageKind,
    pub text: String,
    pub at: i64,
}

/// A notice to staff to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffNotice {
    pub id: i64,
    pub url: String,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// Handoffs of one department over a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DepartmentHandoffs {
    pub department: String,
    pub tickets: i64,
    /// Closed by staff (rather than by the resident or a timeout).
    pub resolved: i64,
    pub closed: i64,
    /// Median time from the handover to staff's first reply.
    pub median_first_reply_ms: Option<i64>,
}

/// Handoffs over a period, and the notices to staff.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HandoffSummary {
    pub departments: Vec<DepartmentHandoffs>,
    /// Handovers per day (Japan), oldest first.
    pub per_day: Vec<(String, i64)>,
    pub notices_sent: i64,
    pub notices_failed: i64,
    pub notices_pending: i64,
}

const TICKET_COLUMNS: &str = "id, channel, resident, address, department, state, assignee, \
     left_message, context, created_at, first_reply_at, last_activity_at, closed_at, \
     close_reason, answer_entry, lang";

fn ticket_row(row: &Row) -> Result<Ticket, StoreError> {
    Ok(Ticket {
        id: row.get(0)?,
        channel: row.get(1)?,
        resident: row.get(2)?,
        address: row.get(3)?,
        department: row.get(4)?,
        state: TicketState::parse(&row.get::<String>(5)?),
        assignee: row.get(6)?,
        left_message: row.get(7)?,
        context: row.get(8)?,
        created_at: row.get(9)?,
        first_reply_at: row.get(10)?,
        last_activity_at: row.get(11)?,
        closed_at: row.get(12)?,
        close_reason: row.get(13)?,
        answer_entry: row.get(14)?,
        lang: row.get(15)?,
    })
}

fn message_row(row: &Row) -> Result<TicketMessage, StoreError> {
    Ok(TicketMessage {
        id: row.get(0)?,
        ticket_id: row.get(1)?,
        author: row.get(2)?,
        kind: MessageKind::parse(&row.get::<String>(3)?),
        text: row.get(4)?,
        at: row.get(5)?,
    })
}

impl Store {
    /// Opens a ticket with the resident's first message, if any; its id.
    pub fn open_ticket(
        &self,
        ticket: &NewTicket,
        first_message: Option<&str>,
    ) -> Result<i64, StoreError> {
        let at = now_ms();
        let mut connection = self.connect()?;
        transaction(&mut *connection, |tx| {
            let rows = tx.query(
                "INSERT INTO tickets (channel, resident, address, department, state, left_message, \
                 context, created_at, last_activity_at, lang) \
                 VALUES (?1, ?2, ?3, ?4, 'waiting', ?5, ?6, ?7, ?7, ?8) RETURNING id",
                params![
                    ticket.channel,
                    ticket.resident,
                    ticket.address,
                    ticket.department,
                    ticket.left_message,
                    ticket.context,
                    at,
                    ticket.lang
                ],
            )?;
            let id = returned_id(rows)?;
            if let Some(text) = first_message {
                tx.execute(
                    "INSERT INTO ticket_messages (ticket_id, author, kind, text, at) \
                     VALUES (?1, '', 'resident', ?2, ?3)",
                    params![id, crate::text::mask::mask(text), at],
                )?;
            }
            Ok(id)
        })
    }

    /// The resident's ticket that is not closed, if any.
    pub fn active_ticket(&self, resident: &str) -> Result<Option<Ticket>, StoreError> {
        self.connect()?
            .query_row(
                &format!(
                    "SELECT {TICKET_COLUMNS} FROM tickets WHERE resident = ?1 AND state <> 'closed' \
                     ORDER BY id DESC LIMIT 1"
                ),
                params![resident],
            )?
            .as_ref()
            .map(ticket_row)
            .transpose()
    }

    /// The resident's newest ticket, closed or not.
    pub fn latest_ticket(&self, resident: &str) -> Result<Option<Ticket>, StoreError> {
        self.connect()?
            .query_row(
                &format!(
                    "SELECT {TICKET_COLUMNS} FROM tickets WHERE resident = ?1 ORDER BY id DESC LIMIT 1"
                ),
                params![resident],
            )?
            .as_ref()
            .map(ticket_row)
            .transpose()
    }

    pub fn ticket(&self, id: i64) -> Result<Option<Ticket>, StoreError> {
        self.connect()?
            .query_row(
                &format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id = ?1"),
                params![id],
            )?
            .as_ref()
            .map(ticket_row)
            .transpose()
    }

    /// Tickets not closed, and those closed since `closed_since`, oldest
    /// first.
    pub fn tickets(&self, closed_since: i64) -> Result<Vec<Ticket>, StoreError> {
        self.connect()?
            .query(
                &format!(
                    "SELECT {TICKET_COLUMNS} FROM tickets \
                     WHERE state <> 'closed' OR closed_at >= ?1 ORDER BY id"
                ),
                params![closed_since],
            )?
            .iter()
            .map(ticket_row)
            .collect()
    }

    /// Adds a message to a ticket that is not closed (masked when the
    /// resident wrote it); `None` when the ticket is closed or unknown.
    /// Staff's first reply is timed.
    pub fn add_ticket_message(
        &self,
        ticket: i64,
        author: &str,
        kind: MessageKind,
        text: &str,
    ) -> Result<Option<i64>, StoreError> {
        let at = now_ms();
        let text = match kind {
            MessageKind::Resident => crate::text::mask::mask(text),
            _ => text.to_string(),
        };
        let mut connection = self.connect()?;
        transaction(&mut *connection, |tx| {
            let touched = tx.execute(
                "UPDATE tickets SET last_activity_at = ?2, \
                 first_reply_at = CASE WHEN ?3 = 1 AND first_reply_at IS NULL THEN ?2 ELSE first_reply_at END \
                 WHERE id = ?1 AND state <> 'closed'",
                params![ticket, at, kind == MessageKind::Staff],
            )?;
            if touched == 0 {
                return Ok(None);
            }
            let rows = tx.query(
                "INSERT INTO ticket_messages (ticket_id, author, kind, text, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                params![ticket, author, kind.as_str(), text, at],
            )?;
            returned_id(rows).map(Some)
        })
    }

    /// A ticket's messages after the message `after` (0: all), in order.
    pub fn ticket_messages(
        &self,
        ticket: i64,
        after: i64,
    ) -> Result<Vec<TicketMessage>, StoreError> {
        self.connect()?
            .query(
                "SELECT id, ticket_id, author, kind, text, at FROM ticket_messages \
                 WHERE ticket_id = ?1 AND id > ?2 ORDER BY id",
                params![ticket, after],
            )?
            .iter()
            .map(message_row)
            .collect()
    }

    /// Staff take a waiting ticket (or one another took); whether it was
    /// not closed.
    pub fn take_ticket(&self, ticket: i64, staff: &str) -> Result<bool, StoreError> {
        let at = now_ms();
        Ok(self.connect()?.execute(
            "UPDATE tickets SET state = 'open', assignee = ?2, last_activity_at = ?3 \
             WHERE id = ?1 AND state <> 'closed'",
            params![ticket, staff, at],
        )? > 0)
    }

    /// Hands a ticket to another department, waiting again.
    pub fn transfer_ticket(&self, ticket: i64, department: &str) -> Result<bool, StoreError> {
        let at = now_ms();
        Ok(self.connect()?.execute(
            "UPDATE tickets SET department = ?2, state = 'waiting', assignee = NULL, \
             last_activity_at = ?3 WHERE id = ?1 AND state <> 'closed'",
            params![ticket, department, at],
        )? > 0)
    }

    /// Closes a ticket (`staff`, `resident` or `timeout`), with the entry
    /// that answers it; whether it was open.
    pub fn close_ticket(
        &self,
        ticket: i64,
        reason: &str,
        answer_entry: Option<&str>,
    ) -> Result<bool, StoreError> {
        let at = now_ms();
        Ok(self.connect()?.execute(
            "UPDATE tickets SET state = 'closed', closed_at = ?2, close_reason = ?3, \
             answer_entry = ?4, last_activity_at = ?2 WHERE id = ?1 AND state <> 'closed'",
            params![ticket, at, reason, answer_entry],
        )? > 0)
    }

    /// Tickets (not left outside office hours) with nothing from either
    /// side since `idle_since`: closed as timed out, and returned.
    pub fn expire_tickets(&self, idle_since: i64) -> Result<Vec<Ticket>, StoreError> {
        let idle: Vec<Ticket> = self
            .connect()?
            .query(
                &format!(
                    "SELECT {TICKET_COLUMNS} FROM tickets WHERE state <> 'closed' \
                     AND left_message = ?2 AND last_activity_at < ?1"
                ),
                params![idle_since, false],
            )?
            .iter()
            .map(ticket_row)
            .collect::<Result<_, _>>()?;
        let mut expired = Vec::new();
        for ticket in idle {
            // Another replica may expire it at the same time: one wins.
            if self.close_ticket(ticket.id, "timeout", None)? {
                expired.push(ticket);
            }
        }
        Ok(expired)
    }

    /// Puts a notice to staff in the outbox.
    pub fn queue_staff_notice(&self, ticket: i64, url: &str, body: &str) -> Result<(), StoreError> {
        self.connect()?.execute(
            "INSERT INTO staff_notices (ticket_id, url, body, attempts, next_at) \
             VALUES (?1, ?2, ?3, 0, ?4)",
            params![ticket, url, body, now_ms()],
        )?;
        Ok(())
    }

    /// Claims the oldest notice due, for `lease_ms` (another replica takes
    /// it after that if this one does not say how it went).
    pub fn claim_staff_notice(&self, lease_ms: i64) -> Result<Option<StaffNotice>, StoreError> {
        let now = now_ms();
        let mut connection = self.connect()?;
        transaction(&mut *connection, |tx| {
            let skip_locked = tx.skip_locked();
            let Some(row) = tx.query_row(
                &format!(
                    "SELECT id, url, body, attempts FROM staff_notices \
                     WHERE sent_at IS NULL AND failed_at IS NULL AND next_at <= ?1 \
                     ORDER BY id LIMIT 1 {skip_locked}"
                ),
                params![now],
            )?
            else {
                return Ok(None);
            };
            let notice = StaffNotice {
                id: row.get(0)?,
                url: row.get(1)?,
                body: row.get(2)?,
                attempts: row.get(3)?,
            };
            tx.execute(
                "UPDATE staff_notices SET next_at = ?2 WHERE id = ?1",
                params![notice.id, now + lease_ms],
            )?;
            Ok(Some(notice))
        })
    }

    /// Says how sending a notice went: sent, to be retried at `retry_at`,
    /// or given up (`retry_at` `None`).
    pub fn staff_notice_done(
        &self,
        id: i64,
        sent: bool,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        let now = now_ms();
        let mut connection = self.connect()?;
        if sent {
            connection.execute(
                "UPDATE staff_notices SET sent_at = ?2, attempts = attempts + 1 WHERE id = ?1",
                params![id, now],
            )?;
        } else {
            match retry_at {
                Some(at) => connection.execute(
                    "UPDATE staff_notices SET next_at = ?2, attempts = attempts + 1 WHERE id = ?1",
                    params![id, at],
                )?,
                None => connection.execute(
                    "UPDATE staff_notices SET failed_at = ?2, attempts = attempts + 1 WHERE id = ?1",
                    params![id, now],
                )?,
            };
        }
        Ok(())
    }

    /// Handoffs since `since` (ms), per department and per day, and the
    /// notices to staff.
    pub fn handoff_summary(&self, since: i64) -> Result<HandoffSummary, StoreError> {
        let tickets: Vec<Ticket> = self
            .connect()?
            .query(
                &format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE created_at >= ?1 ORDER BY id"),
                params![since],
            )?
            .iter()
            .map(ticket_row)
            .collect::<Result<_, _>>()?;
        let mut summary = HandoffSummary::default();
        for ticket in &tickets {
            let day = super::log::japan_time(ticket.created_at / 1000)[..10].to_string();
            match summary.per_day.last_mut() {
                Some((last, count)) if *last == day => *count += 1,
                _ => summary.per_day.push((day, 1)),
            }
            let position = match summary
                .departments
                .iter()
                .position(|d| d.department == ticket.department)
            {
                Some(position) => position,
                None => {
                    summary.departments.push(DepartmentHandoffs {
                        department: ticket.department.clone(),
                        ..DepartmentHandoffs::default()
                    });
                    summary.departments.len() - 1
                }
            };
            let department = &mut summary.departments[position];
            department.tickets += 1;
            if ticket.state == TicketState::Closed {
                department.closed += 1;
                if ticket.close_reason.as_deref() == Some("staff") {
                    department.resolved += 1;
                }
            }
        }
        for department in &mut summary.departments {
            let mut waits: Vec<i64> = tickets
                .iter()
                .filter(|t| t.department == department.department)
                .filter_map(|t| Some(t.first_reply_at? - t.created_at))
                .collect();
            waits.sort_unstable();
            department.median_first_reply_ms = waits.get(waits.len() / 2).copied();
        }
        let row = self
            .connect()?
            .query_row(
                "SELECT \
                 COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
                 COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) \
                 FROM staff_notices n JOIN tickets t ON t.id = n.ticket_id WHERE t.created_at >= ?1",
                params![since],
            )?
            .ok_or_else(|| StoreError::Database("no notice counts".into()))?;
        summary.notices_sent = row.get(0)?;
        summary.notices_failed = row.get(1)?;
        summary.notices_pending = row.get(2)?;
        Ok(summary)
    }
}
