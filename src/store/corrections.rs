//! What the owner taught allears: corrections of "needs a reply" (`#12
//! not-for-me`, `#12 needs-reply`) and the phrases of topics they merged.
//! They live in the store, so they survive `reclassify`.

use anyhow::Result;
use rusqlite::params;

use super::{Store, now};
pub(crate) use crate::classify::learned::{Correction, CorrectionKind};

impl rusqlite::types::ToSql for CorrectionKind {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(self.as_str().into())
    }
}

impl rusqlite::types::FromSql for CorrectionKind {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        s.parse().map_err(|_| {
            rusqlite::types::FromSqlError::Other(Box::new(super::UnknownValue {
                what: "correction kind",
                value: s.to_string(),
            }))
        })
    }
}

impl Store {
    pub fn add_correction(&mut self, c: &Correction) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO corrections (kind, sender, place, phrase, message_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![c.kind, c.sender, c.place, c.phrase, c.message_id, now()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn corrections(&self) -> Result<Vec<Correction>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, kind, sender, place, phrase, message_id, created_at FROM corrections ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Correction {
                id: r.get(0)?,
                kind: r.get(1)?,
                sender: r.get(2)?,
                place: r.get(3)?,
                phrase: r.get(4)?,
                message_id: r.get(5)?,
                created_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Forget a correction; false when there is none with that id.
    pub fn forget_correction(&mut self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM corrections WHERE id = ?1", [id])?
            == 1)
    }

    /// The phrases a topic learned from topics merged into it: (phrase, from topic).
    pub fn topic_phrases(&self) -> Result<Vec<(i64, String, i64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT topic, phrase, from_topic FROM topic_phrases ORDER BY topic, phrase",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn learn_topic_phrases(&mut self, topic: i64, from: i64, phrases: &[String]) -> Result<()> {
        self.transaction(|s| {
            for p in phrases {
                s.conn.execute(
                    "INSERT OR IGNORE INTO topic_phrases (topic, phrase, from_topic) VALUES (?1, ?2, ?3)",
                    params![topic, p, from],
                )?;
            }
            Ok(())
        })
    }

    /// Undo merges into `topic`: the topics merged in stand alone again and
    /// the phrases they brought are forgotten. Returns the topics freed.
    pub fn split_topic(&mut self, topic: i64) -> Result<Vec<i64>> {
        self.transaction(|s| {
            let mut stmt = s
                .conn
                .prepare("SELECT id FROM topics WHERE merged_into = ?1 ORDER BY id")?;
            let freed: Vec<i64> = stmt
                .query_map([topic], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            s.conn.execute(
                "UPDATE topics SET merged_into = NULL WHERE merged_into = ?1",
                [topic],
            )?;
            s.conn
                .execute("DELETE FROM topic_phrases WHERE topic = ?1", [topic])?;
            Ok(freed)
        })
    }

    pub fn rename_topic(&mut self, topic: i64, label: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE topics SET label = ?2 WHERE id = ?1",
            params![topic, label],
        )?;
        Ok(())
    }
}
