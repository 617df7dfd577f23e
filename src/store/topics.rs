//! Topics readers asked for (the `T3` of the digest), the owner's merges and
//! states, and which readers were told that a topic was written.

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::{Store, now, text_enum};

text_enum! {
    /// Where a topic stands with the owner.
    pub(crate) enum TopicState {
        Open = "open",
        Planned = "planned",
        Written = "written",
        Dropped = "dropped",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Topic {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub merged_into: Option<i64>,
    pub state: TopicState,
    pub link: Option<String>,
}

impl Store {
    /// The topic for a key, created on first sight so its id is stable.
    pub fn topic_for(&mut self, key: &str, label: &str) -> Result<Topic> {
        self.conn.execute(
            "INSERT OR IGNORE INTO topics (key, label) VALUES (?1, ?2)",
            params![key, label],
        )?;
        let sql = format!("{} WHERE key = ?1", Self::TOPIC_SQL);
        Ok(self.conn.query_row(&sql, [key], Self::topic_row)?)
    }

    const TOPIC_SQL: &str = "SELECT id, key, label, merged_into, state, link FROM topics";

    fn topic_row(r: &rusqlite::Row) -> rusqlite::Result<Topic> {
        Ok(Topic {
            id: r.get(0)?,
            key: r.get(1)?,
            label: r.get(2)?,
            merged_into: r.get(3)?,
            state: r.get(4)?,
            link: r.get(5)?,
        })
    }

    pub fn topic(&self, id: i64) -> Result<Option<Topic>> {
        let sql = format!("{} WHERE id = ?1", Self::TOPIC_SQL);
        Ok(self
            .conn
            .query_row(&sql, [id], Self::topic_row)
            .optional()?)
    }

    pub fn topics(&self) -> Result<Vec<Topic>> {
        let sql = format!("{} ORDER BY id", Self::TOPIC_SQL);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], Self::topic_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn merge_topic(&mut self, from: i64, into: i64) -> Result<()> {
        self.transaction(|s| {
            s.conn.execute(
                "UPDATE topics SET merged_into = ?2 WHERE id = ?1",
                params![from, into],
            )?;
            // Topics merged into `from` follow it.
            s.conn.execute(
                "UPDATE topics SET merged_into = ?2 WHERE merged_into = ?1",
                params![from, into],
            )?;
            Ok(())
        })
    }

    pub fn set_topic_state(
        &mut self,
        id: i64,
        state: TopicState,
        link: Option<&str>,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE topics SET state = ?2, link = coalesce(?3, link) WHERE id = ?1",
            params![id, state, link],
        )?;
        Ok(())
    }

    /// Remember that `address` was told about topic `topic`; false if it already was.
    pub fn mark_told(&mut self, topic: i64, address: &str) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO told (topic, address, at) VALUES (?1, ?2, ?3)",
            params![topic, address.to_ascii_lowercase(), now()],
        )?;
        Ok(n == 1)
    }

    /// Who was told about a topic, and when (unix seconds).
    pub fn told(&self, topic: i64) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT address, at FROM told WHERE topic = ?1 ORDER BY at")?;
        let rows = stmt.query_map([topic], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn was_told(&self, topic: i64, address: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM told WHERE topic = ?1 AND address = ?2",
                params![topic, address.to_ascii_lowercase()],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}
