//! Mail allears sends because the owner commanded it (answers, notes,
//! results): queued in the transaction that applies the command, sent and
//! marked after. And the command messages already processed, so none is
//! applied twice.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::{Store, now, text_enum};

text_enum! {
    /// Whether an outbox message has gone.
    pub(crate) enum OutboxState {
        Pending = "pending",
        Sent = "sent",
        /// The owner cancelled it before it went (`allears outbox cancel N`).
        Cancelled = "cancelled",
    }
}

text_enum! {
    /// What an outbox message is.
    pub(crate) enum OutboxKind {
        /// The owner's answer to a reader (`#12 reply`).
        Answer = "answer",
        /// "You asked, I wrote it" (`T3 tell`).
        Tell = "tell",
        /// The results of a command message, to the owner.
        Results = "results",
    }
}

/// A message waiting in (or gone from) the outbox.
#[derive(Debug, Clone)]
pub(crate) struct OutboxEntry {
    pub id: i64,
    pub recipient: String,
    pub eml: Vec<u8>,
    pub what: String,
    pub kind: OutboxKind,
    pub told_topic: Option<i64>,
    pub state: OutboxState,
    pub last_error: Option<String>,
    pub attempts: i64,
}

impl Store {
    pub fn queue_mail(
        &mut self,
        command: &str,
        recipient: &str,
        eml: &[u8],
        what: &str,
        kind: OutboxKind,
        told_topic: Option<i64>,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO outbox (command, recipient, eml, what, kind, told_topic, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                command,
                recipient,
                eml,
                what,
                kind,
                told_topic,
                OutboxState::Pending
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    const OUTBOX_SQL: &str = "SELECT id, command, recipient, eml, what, kind, told_topic, state, last_error, attempts FROM outbox";

    fn outbox_row(r: &rusqlite::Row) -> rusqlite::Result<OutboxEntry> {
        Ok(OutboxEntry {
            id: r.get(0)?,
            recipient: r.get(2)?,
            eml: r.get(3)?,
            what: r.get(4)?,
            kind: r.get(5)?,
            told_topic: r.get(6)?,
            state: r.get(7)?,
            last_error: r.get(8)?,
            attempts: r.get(9)?,
        })
    }

    pub fn pending_mail(&self) -> Result<Vec<OutboxEntry>> {
        let sql = format!("{} WHERE state = ?1 ORDER BY id", Self::OUTBOX_SQL);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([OutboxState::Pending], Self::outbox_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every outbox message, the newest first.
    pub fn outbox(&self) -> Result<Vec<OutboxEntry>> {
        let sql = format!("{} ORDER BY id DESC", Self::OUTBOX_SQL);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], Self::outbox_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A waiting message is never sent; false when it was not waiting.
    pub fn cancel_mail(&mut self, id: i64) -> Result<bool> {
        let n = self.conn.execute(
            "UPDATE outbox SET state = ?2 WHERE id = ?1 AND state = ?3",
            params![id, OutboxState::Cancelled, OutboxState::Pending],
        )?;
        Ok(n > 0)
    }

    pub fn mail_for_command(&self, command: &str) -> Result<Vec<OutboxEntry>> {
        let sql = format!("{} WHERE command = ?1 ORDER BY id", Self::OUTBOX_SQL);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([command], Self::outbox_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn mail_sent(&mut self, id: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET state = ?3, sent_at = ?2, attempts = attempts + 1, last_error = NULL WHERE id = ?1",
            params![id, now(), OutboxState::Sent],
        )?;
        Ok(())
    }

    pub fn mail_failed(&mut self, id: i64, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        Ok(())
    }

    // ---- command messages --------------------------------------------------

    pub fn command_seen(&self, message_id: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM commands WHERE message_id = ?1",
                [message_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    pub fn record_command(
        &mut self,
        message_id: &str,
        accepted: bool,
        outcome: &str,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO commands (message_id, processed_at, accepted, outcome) VALUES (?1, ?2, ?3, ?4)",
            params![message_id, now(), accepted, outcome],
        )?;
        Ok(())
    }

    /// The command message that applied `verb` to `target` ("#12", "reply"), and when.
    pub fn applied(&self, target: &str, verb: &str) -> Result<Option<(String, i64)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT command, at FROM applied WHERE target = ?1 AND verb = ?2",
                params![target, verb],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn record_applied(&mut self, target: &str, verb: &str, command: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO applied (target, verb, command, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (target, verb) DO UPDATE SET command = ?3, at = ?4",
            params![target, verb, command, now()],
        )?;
        Ok(())
    }

    /// Forget that these verbs were applied to `target`, so they may be given again (after an undo).
    pub fn forget_applied(&mut self, target: &str, verbs: &[&str]) -> Result<()> {
        for verb in verbs {
            self.conn.execute(
                "DELETE FROM applied WHERE target = ?1 AND verb = ?2",
                params![target, verb],
            )?;
        }
        Ok(())
    }

    /// Command messages that were refused and not yet mentioned in a digest.
    pub fn refused_commands_since(&self, since: i64) -> Result<Vec<(String, String)>> {
        let mut stmt = self.conn.prepare(
            "SELECT message_id, outcome FROM commands WHERE accepted = 0 AND processed_at >= ?1 ORDER BY processed_at",
        )?;
        let rows = stmt.query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
