//! A durable queue of events to answer, shared by every replica: events are
//! written before they are acknowledged, claimed by a worker on any replica
//! (one chat's events in order: only the oldest of a chat can be claimed),
//! and deleted once answered. A claim lapses when its replica stops sending
//! heartbeats, so another replica answers the events of one that died.
//! Event ids already taken are remembered to spot redeliveries.

use std::time::Duration;

use super::database::{Connection, Value, params, transaction};
use super::shared::{expiry, now_ms};
use super::{Store, StoreError};

/// An event to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    /// Unique per event and the same when it is delivered again, if the
    /// platform gives one.
    pub event_id: Option<String>,
    /// The chat whose events are answered in order.
    pub chat: String,
    /// The event, as the worker will read it.
    pub event: String,
}

/// What became of an incoming event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queued {
    Queued,
    /// Taken before (by any replica): a redelivery.
    Duplicate,
    /// Refused: the queue holds its capacity. Not remembered, so a
    /// redelivery is taken.
    Full,
}

/// An event claimed to be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub event: String,
    /// When the webhook took it (Unix milliseconds).
    pub received_at: i64,
}

impl Store {
    /// Queues events in one transaction, skipping those taken before within
    /// `remember`, refusing those past `capacity` waiting events.
    pub fn queue_events(
        &self,
        events: &[Incoming],
        remember: Duration,
        capacity: usize,
    ) -> Result<Vec<Queued>, StoreError> {
        let mut connection = self.connect()?;
        transaction(&mut *connection, |connection| {
            let mut waiting = queued_on(connection)?;
            let received_at = now_ms();
            let mut outcomes = Vec::with_capacity(events.len());
            for event in events {
                if let Some(id) = &event.event_id
                    && !take_event(connection, id, remember)?
                {
                    outcomes.push(Queued::Duplicate);
                    continue;
                }
                if waiting >= capacity {
                    if let Some(id) = &event.event_id {
                        connection
                            .execute("DELETE FROM line_events WHERE event_id = ?1", params![id])?;
                    }
                    outcomes.push(Queued::Full);
                    continue;
                }
                connection.execute(
                    "INSERT INTO line_queue (chat, event, received_at) VALUES (?1, ?2, ?3)",
                    params![&event.chat, &event.event, received_at],
                )?;
                waiting += 1;
                outcomes.push(Queued::Queued);
            }
            Ok(outcomes)
        })
    }

    /// Events queued and not yet answered (claimed or not), at most a few
    /// more (see [`queued_on`]).
    pub fn queued_events(&self) -> Result<usize, StoreError> {
        queued_on(&mut *self.connect()?)
    }

    /// Says that `replica` is alive; its claims hold while it keeps saying
    /// so.
    pub fn heartbeat(&self, replica: &str) -> Result<(), StoreError> {
        self.connect()?.execute(
            "INSERT INTO replicas (id, seen_at) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
            params![replica, now_ms()],
        )?;
        Ok(())
    }

    /// Claims up to `limit` events for `replica`: the oldest of each chat,
    /// unclaimed or claimed by a replica not heard from within `alive`.
    /// Oldest first.
    pub fn claim_events(
        &self,
        replica: &str,
        limit: usize,
        alive: Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        let mut connection = self.connect()?;
        let skip_locked = connection.skip_locked();
        let lapsed_before = now_ms() - alive.as_millis() as i64;
        let mut claimed = connection
            .query(
                &format!(
                    "UPDATE line_queue SET claimed_by = ?1
                     WHERE id IN (
                         SELECT q.id FROM line_queue q
                         WHERE (q.claimed_by IS NULL OR q.claimed_by NOT IN
                                   (SELECT r.id FROM replicas r WHERE r.seen_at > ?2))
                           AND NOT EXISTS
                                   (SELECT 1 FROM line_queue e WHERE e.chat = q.chat AND e.id < q.id)
                         ORDER BY q.id LIMIT ?3{skip_locked}
                     )
                     RETURNING id, event, received_at"
                ),
                params![replica, lapsed_before, limit as i64],
            )?
            .iter()
            .map(|row| {
                Ok(Claimed {
                    id: row.get(0)?,
                    event: row.get(1)?,
                    received_at: row.get(2)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort_by_key(|event| event.id);
        Ok(claimed)
    }

    /// Deletes answered events from the queue, in one statement.
    pub fn finish_events(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let numbers: Vec<String> = (1..=ids.len()).map(|n| format!("?{n}")).collect();
        let ids: Vec<Value> = ids.iter().map(|id| Value::Int(*id)).collect();
        self.connect()?.execute(
            &format!(
                "DELETE FROM line_queue WHERE id IN ({})",
                numbers.join(", ")
            ),
            &ids,
        )?;
        Ok(())
    }

    /// Hands back what `replica` claimed and did not answer, for the others
    /// to take at once, and forgets the replica; for a clean stop. Returns
    /// the number of events handed back.
    pub fn hand_back(&self, replica: &str) -> Result<u64, StoreError> {
        let mut connection = self.connect()?;
        transaction(&mut *connection, |connection| {
            let handed = connection.execute(
                "UPDATE line_queue SET claimed_by = NULL WHERE claimed_by = ?1",
                params![replica],
            )?;
            connection.execute("DELETE FROM replicas WHERE id = ?1", params![replica])?;
            Ok(handed)
        })
    }
}

/// The queue's depth from its oldest and newest ids: two index lookups,
/// where counting would read every waiting row on each webhook. Events are
/// numbered in order and mostly answered in order, so this is at most a
/// little more than the count.
fn queued_on(connection: &mut dyn Connection) -> Result<usize, StoreError> {
    let depth: Option<i64> = connection
        // Each in a query of its own: SQLite reads a lone MIN or MAX off
        // the index, but scans the table for both at once.
        .query_row(
            "SELECT (SELECT MAX(id) FROM line_queue) - (SELECT MIN(id) FROM line_queue) + 1",
            &[],
        )?
        .map_or(Ok(None), |row| row.get(0))?;
    Ok(depth.unwrap_or(0).max(0) as usize)
}

/// Remembers an event id for `remember`: true the first time any replica
/// takes it (or once it was forgotten), false for a redelivery.
fn take_event(
    connection: &mut dyn Connection,
    event_id: &str,
    remember: Duration,
) -> Result<bool, StoreError> {
    let taken = connection.execute(
        "INSERT INTO line_events (event_id, expires_at) VALUES (?1, ?2)
         ON CONFLICT (event_id) DO UPDATE SET expires_at = excluded.expires_at
         WHERE line_events.expires_at <= ?3",
        params![event_id, expiry(remember), now_ms()],
    )?;
    Ok(taken > 0)
}
