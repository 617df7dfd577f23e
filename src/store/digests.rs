//! The digests: each goes built -> sending -> sent (or skipped, or
//! superseded by a later one), and a pending one is retried byte for byte.
//! Its items count as shown only once it is sent.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::{Store, now, text_enum};

text_enum! {
    /// Where a digest is on its way to the owner.
    pub(crate) enum DigestState {
        /// Made (or previewed), not handed to a server.
        Built = "built",
        /// Handed to the server, not yet accepted: sent again as it is.
        Sending = "sending",
        /// Accepted by the server (or written to the output folder).
        Sent = "sent",
        /// Nothing new that day and `[schedule] empty = "skip"`.
        Skipped = "skipped",
        /// A pending digest replaced by a later period's.
        Superseded = "superseded",
    }
}

impl DigestState {
    /// Done with: the period needs no other digest.
    pub fn is_final(self) -> bool {
        matches!(self, DigestState::Sent | DigestState::Skipped)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DigestRecord {
    pub id: i64,
    pub period: String,
    pub message_id: String,
    pub state: DigestState,
    pub built_at: i64,
    pub sent_at: Option<i64>,
    pub eml: Vec<u8>,
    pub items: Vec<i64>,
}

impl Store {
    const DIGEST_SQL: &str =
        "SELECT id, period, message_id, state, built_at, sent_at, eml, items FROM digests";

    fn digest_row(r: &rusqlite::Row) -> rusqlite::Result<DigestRecord> {
        let items: String = r.get(7)?;
        Ok(DigestRecord {
            id: r.get(0)?,
            period: r.get(1)?,
            message_id: r.get(2)?,
            state: r.get(3)?,
            built_at: r.get(4)?,
            sent_at: r.get(5)?,
            eml: r.get(6)?,
            items: serde_json::from_str(&items).unwrap_or_default(),
        })
    }

    pub fn digest_for(&self, period: &str) -> Result<Option<DigestRecord>> {
        let sql = format!("{} WHERE period = ?1", Self::DIGEST_SQL);
        Ok(self
            .conn
            .query_row(&sql, [period], Self::digest_row)
            .optional()?)
    }

    pub fn digests(&self) -> Result<Vec<DigestRecord>> {
        let sql = format!("{} ORDER BY id", Self::DIGEST_SQL);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], Self::digest_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The newest daily digest the server accepted (a weekly one, period
    /// `week-...`, does not move "since your last digest").
    pub fn last_sent_digest(&self) -> Result<Option<DigestRecord>> {
        let sql = format!(
            "{} WHERE state = ?1 AND period NOT LIKE 'week-%' ORDER BY sent_at DESC, id DESC LIMIT 1",
            Self::DIGEST_SQL
        );
        Ok(self
            .conn
            .query_row(&sql, [DigestState::Sent], Self::digest_row)
            .optional()?)
    }

    /// Record a built digest for a period, replacing one of the same period that was
    /// neither sent nor handed to a server (`sending` must be retried byte for byte).
    pub fn save_digest(
        &mut self,
        period: &str,
        message_id: &str,
        eml: &[u8],
        items: &[i64],
    ) -> Result<()> {
        let items = serde_json::to_string(items)?;
        self.conn.execute(
            "INSERT INTO digests (period, message_id, state, built_at, eml, items)
             VALUES (?1, ?2, ?6, ?3, ?4, ?5)
             ON CONFLICT (period) DO UPDATE SET message_id = ?2, built_at = ?3, eml = ?4, items = ?5
             WHERE state NOT IN (?7, ?8)",
            params![
                period,
                message_id,
                now(),
                eml,
                items,
                DigestState::Built,
                DigestState::Sent,
                DigestState::Sending
            ],
        )?;
        Ok(())
    }

    pub fn set_digest_state(&mut self, period: &str, state: DigestState) -> Result<()> {
        self.conn.execute(
            "UPDATE digests SET state = ?2 WHERE period = ?1",
            params![period, state],
        )?;
        Ok(())
    }

    /// The server accepted the digest: it is sent, and its items count as shown.
    pub fn mark_digest_sent(&mut self, period: &str) -> Result<()> {
        self.transaction(|s| {
            let at = now();
            let items: String = s.conn.query_row(
                "SELECT items FROM digests WHERE period = ?1",
                [period],
                |r| r.get(0),
            )?;
            s.conn.execute(
                "UPDATE digests SET state = ?3, sent_at = ?2 WHERE period = ?1",
                params![period, at, DigestState::Sent],
            )?;
            let ids: Vec<i64> = serde_json::from_str(&items).unwrap_or_default();
            for id in ids {
                s.conn.execute(
                    "UPDATE items SET first_shown = coalesce(first_shown, ?2), last_shown = ?2 WHERE id = ?1",
                    params![id, at],
                )?;
            }
            Ok(())
        })
    }
}
