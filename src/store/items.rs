//! Digest items (the `#12` of the digest: one per message that needs a
//! reply, ids never reused) and the owner's mutes (and unmutes).

use anyhow::{Context, Result};
use rusqlite::{OptionalExtension, params};

use super::{Store, now, text_enum};

text_enum! {
    /// What the owner made of an item.
    pub(crate) enum ItemState {
        Open = "open",
        Done = "done",
        Ignored = "ignored",
        Muted = "muted",
    }
}

text_enum! {
    /// What a mute silences.
    pub(crate) enum MuteKind {
        /// A thread, by its root's Message-ID.
        Thread = "thread",
        /// A reader, by address.
        Sender = "sender",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub id: i64,
    pub key: String,
    pub state: ItemState,
    pub snooze_until: Option<i64>,
    pub first_shown: Option<i64>,
    pub last_shown: Option<i64>,
    pub closed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mute {
    pub kind: MuteKind,
    pub value: String,
}

impl Store {
    /// The item for a key, created on first sight so its id is stable.
    pub fn item_for(&mut self, key: &str) -> Result<Item> {
        self.conn.execute(
            "INSERT OR IGNORE INTO items (key) VALUES (?1)",
            params![key],
        )?;
        self.item_by_key(key)?
            .context("an item that was just inserted is missing")
    }

    const ITEM_SQL: &str =
        "SELECT id, key, state, snooze_until, first_shown, last_shown, closed_at FROM items";

    fn item_row(r: &rusqlite::Row) -> rusqlite::Result<Item> {
        Ok(Item {
            id: r.get(0)?,
            key: r.get(1)?,
            state: r.get(2)?,
            snooze_until: r.get(3)?,
            first_shown: r.get(4)?,
            last_shown: r.get(5)?,
            closed_at: r.get(6)?,
        })
    }

    pub fn item_by_key(&self, key: &str) -> Result<Option<Item>> {
        let sql = format!("{} WHERE key = ?1", Self::ITEM_SQL);
        Ok(self
            .conn
            .query_row(&sql, [key], Self::item_row)
            .optional()?)
    }

    pub fn item(&self, id: i64) -> Result<Option<Item>> {
        let sql = format!("{} WHERE id = ?1", Self::ITEM_SQL);
        Ok(self.conn.query_row(&sql, [id], Self::item_row).optional()?)
    }

    pub fn items(&self) -> Result<Vec<Item>> {
        let sql = format!("{} ORDER BY id", Self::ITEM_SQL);
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], Self::item_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_item_state(
        &mut self,
        id: i64,
        state: ItemState,
        snooze_until: Option<i64>,
    ) -> Result<()> {
        let closed = (state != ItemState::Open).then(now);
        self.conn.execute(
            "UPDATE items SET state = ?2, snooze_until = ?3, closed_at = ?4 WHERE id = ?1",
            params![id, state, snooze_until, closed],
        )?;
        Ok(())
    }

    pub fn mute(&mut self, kind: MuteKind, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO mutes (kind, value) VALUES (?1, ?2)",
            params![kind, value],
        )?;
        Ok(())
    }

    /// Remove a mute; false when there was none.
    pub fn unmute(&mut self, kind: MuteKind, value: &str) -> Result<bool> {
        let n = self.conn.execute(
            "DELETE FROM mutes WHERE kind = ?1 AND value = ?2 COLLATE NOCASE",
            params![kind, value],
        )?;
        Ok(n > 0)
    }

    pub fn mutes(&self) -> Result<Vec<Mute>> {
        let mut stmt = self
            .conn
            .prepare("SELECT kind, value FROM mutes ORDER BY kind, value")?;
        let rows = stmt.query_map([], |r| {
            Ok(Mute {
                kind: r.get(0)?,
                value: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_ids_are_stable() {
        let mut s = Store::in_memory().unwrap();
        let a = s.item_for("msg:a").unwrap();
        let b = s.item_for("msg:b").unwrap();
        assert_eq!(s.item_for("msg:a").unwrap().id, a.id);
        assert_ne!(a.id, b.id);
        assert_eq!(a.state, ItemState::Open);
    }
}
