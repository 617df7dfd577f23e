//! The links of every stored message in compact form, for the refresh after
//! each import (threads, answered, facts): message ids numbered by hash
//! (their text is not kept), places, senders and permalinks interned, subjects
//! and references in shared buffers, the rare comment links apart. On the
//! R-help archive (172,000 messages) this takes about a tenth of what one
//! owned [`crate::store::Links`] per message did, so the refresh no longer
//! sets the peak memory of an import or a fetch.

use anyhow::Result;

use crate::classify::Source;
use crate::intern::{HashedIds, Interner};
use crate::store::{LinkRef, Store};
use crate::thread::{LinkSource, Linked};

/// No id: an absent In-Reply-To, thread, answer, place or permalink.
pub(crate) const NONE: u32 = u32::MAX;

/// One stored message's links.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkRow {
    /// The store's row id.
    pub id: i64,
    /// One number per distinct message id, below [`LinkTable::id_count`];
    /// [`NONE`] for an empty id.
    pub message_id: u32,
    pub in_reply_to: u32,
    refs: (u32, u32),
    subject: (u32, u32),
    /// Its From address, interned in [`LinkTable::senders`].
    pub sender: u32,
    pub date: i64,
    pub source: Source,
    /// List id, interned in [`LinkTable::places`].
    place: u32,
    /// Blog post URL, interned in [`LinkTable::permalinks`].
    permalink: u32,
    pub call_for_topics: bool,
    pub parent_is_owners: bool,
    pub under_owners_call: bool,
    pub list_tag: bool,
    /// The stored thread root and answering reply, numbered as `message_id`.
    pub thread: u32,
    pub answered_by: u32,
    /// Its index in [`LinkTable::comments`], or [`NONE`].
    comment: u32,
}

/// A blog comment notification's own link and its parent's; its
/// commenter, the commenter it answers when it names them instead of
/// linking (both as written), and the post's title.
pub(crate) struct CommentLinks {
    pub url: Option<Box<str>>,
    pub parent: Option<Box<str>>,
    pub author: Option<Box<str>>,
    pub parent_author: Option<Box<str>>,
    pub title: Option<Box<str>>,
}

/// Every stored message's links, in row id order.
#[derive(Default)]
pub(crate) struct LinkTable {
    /// How many distinct message ids were numbered (by hash: their text is
    /// not kept; the refresh writes back row ids, and the store looks up
    /// their Message-IDs).
    pub id_count: usize,
    places: Interner,
    permalinks: Interner,
    senders: Interner,
    pub rows: Vec<LinkRow>,
    refs: Vec<u32>,
    subjects: String,
    comments: Vec<CommentLinks>,
}

impl LinkTable {
    /// Whether judging message `id` again as `class` moved it: another
    /// source or another list, which threads and `answered` read.
    pub fn moved(&self, id: i64, class: &crate::classify::Classification) -> bool {
        let Ok(i) = self.rows.binary_search_by_key(&id, |r| r.id) else {
            return false;
        };
        let r = &self.rows[i];
        let place = some(r.place).map(|p| self.places.get(p));
        r.source != class.source || place != class.context.list_id.as_deref()
    }

    pub fn load(store: &Store) -> Result<LinkTable> {
        let mut t = LinkTable::default();
        let mut ids = HashedIds::default();
        store.for_each_link(|l| {
            t.push(l, &mut ids);
            Ok(())
        })?;
        t.id_count = ids.len();
        t.rows.shrink_to_fit();
        t.refs.shrink_to_fit();
        t.subjects.shrink_to_fit();
        Ok(t)
    }

    fn push(&mut self, l: &LinkRef, ids: &mut HashedIds) {
        let start = self.refs.len() as u32;
        for r in l.refs.split_whitespace() {
            let r = ids.intern(r);
            self.refs.push(r);
        }
        let refs = (start, self.refs.len() as u32 - start);
        let s = self.subjects.len() as u32;
        self.subjects.push_str(l.subject);
        let subject = (s, l.subject.len() as u32);
        let comment = if l.comment_url.is_some()
            || l.parent_comment_url.is_some()
            || l.author_name.is_some()
            || l.parent_author.is_some()
        {
            self.comments.push(CommentLinks {
                url: l.comment_url.map(Into::into),
                parent: l.parent_comment_url.map(Into::into),
                author: l.author_name.map(Into::into),
                parent_author: l.parent_author.map(Into::into),
                title: l.post_title.map(Into::into),
            });
            self.comments.len() as u32 - 1
        } else {
            NONE
        };
        let row = LinkRow {
            id: l.id,
            message_id: numbered(Some(l.message_id), |s| ids.intern(s)),
            in_reply_to: numbered(l.in_reply_to, |s| ids.intern(s)),
            refs,
            subject,
            sender: self.senders.intern(l.from),
            date: l.date,
            source: l.source,
            // An empty list id is a place all the same (as in `thread`).
            place: l.list_id.map_or(NONE, |p| self.places.intern(p)),
            permalink: numbered(l.post_url, |p| self.permalinks.intern(p)),
            call_for_topics: l.call_for_topics,
            parent_is_owners: l.parent_is_owners,
            under_owners_call: l.under_owners_call,
            list_tag: l.list_tag,
            thread: numbered(l.thread, |s| ids.intern(s)),
            answered_by: numbered(l.answered_by, |s| ids.intern(s)),
            comment,
        };
        self.rows.push(row);
    }

    pub fn refs(&self, row: &LinkRow) -> &[u32] {
        &self.refs[row.refs.0 as usize..(row.refs.0 + row.refs.1) as usize]
    }

    /// The post a comment is on, by every name its notice gives: its link, its title.
    pub fn posts<'a>(&'a self, row: &LinkRow) -> impl Iterator<Item = &'a str> + 'a {
        let link = some(row.permalink).map(|p| self.permalinks.get(p));
        let title = self.comment(row).and_then(|c| c.title.as_deref());
        link.into_iter().chain(title)
    }

    pub fn subject(&self, row: &LinkRow) -> &str {
        &self.subjects[row.subject.0 as usize..(row.subject.0 + row.subject.1) as usize]
    }

    pub fn comment(&self, row: &LinkRow) -> Option<&CommentLinks> {
        (row.comment != NONE).then(|| &self.comments[row.comment as usize])
    }

    /// The id a message answers: In-Reply-To, else the last References id.
    pub fn parent(&self, row: &LinkRow) -> Option<u32> {
        some(row.in_reply_to).or_else(|| self.refs(row).last().copied())
    }
}

/// What threading reads, made for each row when asked.
impl LinkSource for LinkTable {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn at(&self, i: usize) -> Linked<'_> {
        let r = &self.rows[i];
        Linked {
            message_id: some(r.message_id),
            references: self.refs(r),
            in_reply_to: some(r.in_reply_to),
            subject: self.subject(r),
            date: r.date,
            permalink: some(r.permalink),
            place: some(r.place),
        }
    }
}

/// `s` numbered by `intern`; an absent or empty id or link is [`NONE`].
fn numbered(s: Option<&str>, intern: impl FnOnce(&str) -> u32) -> u32 {
    s.filter(|s| !s.is_empty()).map_or(NONE, intern)
}

pub(crate) fn some(id: u32) -> Option<u32> {
    (id != NONE).then_some(id)
}
