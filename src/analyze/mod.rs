//! What is known only across messages, recomputed over the whole store after
//! each import: threads (`thread.rs`), which messages the owner answered
//! (`answered.rs`), and the groups of topic requests (`classify/topics.rs`).
//! Comes after import, before the digest. Also here: judging every stored
//! message again when the rules (or the owner) changed since it was judged.

mod answered;
mod links;

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::Result;

use crate::classify::learned::Lessons;
use crate::classify::{Classification, Facts, Source};
use crate::config::{Config, Owner};
use crate::store::{Kept, Links, Store, TopicState};
use crate::thread::{self, Mode, ThreadInput};
use links::LinkTable;

/// Thread and mark answered; judge again the messages whose [`Facts`]
/// changed (a reply to the owner, a post under their call for topics);
/// saves only what changed. Works over [`LinkTable`], a compact copy of
/// every message's links, so its memory stays small on a large store.
pub(crate) fn refresh(store: &mut Store, owner: &Owner) -> Result<()> {
    // What the import left in SQLite's page cache goes before the table is
    // built (on R-help, 16 MB of the peak).
    store.shrink_memory()?;
    let mut table = LinkTable::load(store)?;
    let mut root_of = thread::roots(&table, table.id_count, Mode::Conversation);
    let changed = facts(&table, &root_of);
    if !changed.is_empty() {
        tracing::debug!(
            "refresh: {} message(s) judged again with new facts",
            changed.len()
        );
        let ids: Vec<i64> = changed.iter().map(|(id, _)| *id).collect();
        let facts: HashMap<i64, Facts> = changed.into_iter().collect();
        let lessons = Lessons::new(&store.corrections()?);
        let mut moved = false;
        for chunk in ids.chunks(500) {
            let kept = store.raw_of(chunk)?;
            let classes = judge_again(&kept, |msg, k| {
                let f = facts.get(&k.id).copied().unwrap_or_default();
                crate::classify::classify(msg, owner, k.sent, f, &lessons)
            });
            moved |= classes.iter().any(|(id, c)| table.moved(*id, c));
            store.update_classes(&classes)?;
        }
        store.drop_unused_judgements()?;
        // A post judged again may have moved (now a list's, in the list's
        // place, where subjects group): thread it and mark answers as it
        // now is. Before, its thread was what it had been judged first.
        if moved {
            // What judging left (SQLite's pages of raw mail, freed
            // judgements) goes before the table is built again.
            drop(table);
            store.shrink_memory()?;
            table = LinkTable::load(store)?;
            root_of = thread::roots(&table, table.id_count, Mode::Conversation);
        }
    }
    let answered = answered::answered_by(&table);
    // A row's message id by number, and the row to name it by when it has one.
    let named = |i: usize| {
        let row = table
            .rows
            .get(i)
            .filter(|row| row.message_id != links::NONE);
        (
            row.map_or(links::NONE, |row| row.message_id),
            row.map(|row| row.id),
        )
    };
    let changes: Vec<(i64, Option<i64>, Option<i64>)> = table
        .rows
        .iter()
        .zip(root_of.into_iter().zip(answered))
        .filter_map(|(r, (root, ans))| {
            let (root, root_row) = named(root);
            let (ans, ans_row) = named(ans as usize);
            (r.thread != root || r.answered_by != ans).then_some((r.id, root_row, ans_row))
        })
        .collect();
    tracing::debug!(
        "refresh: {} of {} message(s) change thread or answer; peak memory so far {}",
        changes.len(),
        table.rows.len(),
        crate::usage::peak_memory()
    );
    // The changes name rows, not the table: it goes before SQLite works.
    drop(table);
    if !changes.is_empty() {
        store.update_links(&changes)?;
    }
    store.refresh_done()
}

/// Judge every stored message again from its raw bytes, with the owner's
/// corrections, then bring threads and answers up to date. Returns how
/// many were judged.
pub(crate) fn reclassify(store: &mut Store, config: &Config) -> Result<usize> {
    let lessons = Lessons::new(&store.corrections()?);
    // Judged as an import judges (the refresh below finds the facts).
    let tags = crate::classify::source::TagTally::default();
    // A page at a time, each saved before the next is read: judging 170,000
    // messages again holds a thousand judgements, not all of them.
    let (mut after, mut judged) = (i64::MIN, 0);
    loop {
        let page = store.raw_page(after, 1000)?;
        let Some(last) = page.last().map(|k| k.id) else {
            break;
        };
        let classes = judge_again(&page, |msg, k| {
            crate::classify::classify_in_import(msg, &config.owner, k.sent, &lessons, &tags)
        });
        store.update_classes(&classes)?;
        judged += classes.len();
        after = last;
    }
    store.drop_unused_judgements()?;
    store.set_judged_with(&judged_with(config, &lessons))?;
    refresh(store, &config.owner)?;
    Ok(judged)
}

/// Judge stored messages again, as `judge` says, on one core: judging on
/// both of this machine's cores, as the import does, saved 0.3 s of
/// R-devel's first refresh (8,800 posts judged again once their `[Rd]` tag
/// was known) and raised its peak by 12-20 MB.
fn judge_again(
    kept: &[Kept],
    judge: impl Fn(&crate::message::Message, &Kept) -> Classification,
) -> Vec<(i64, Classification)> {
    kept.iter()
        .map(|k| {
            let msg = crate::import::parse_found(&k.raw, None, k.places.lines());
            (k.id, judge(&msg, k))
        })
        .collect()
}

/// What a stored judgement depends on besides the mail: the rules'
/// version, the owner's names and addresses, and their corrections.
fn judged_with(config: &Config, lessons: &Lessons) -> String {
    format!(
        "rules {}; owner {} <{}>; corrections {}",
        crate::classify::RULES_VERSION,
        config.owner.name.trim(),
        config.owner.addresses.join(", "),
        lessons.ids()
    )
}

/// Judge every stored message again when it was judged by other rules or
/// for another owner (a new allears, an edited `[owner]`) or before the
/// owner's latest corrections, so what the digest and `messages` read is
/// never stale. Returns how many were judged.
pub(crate) fn ensure_current(store: &mut Store, config: &Config) -> Result<usize> {
    let now = judged_with(config, &Lessons::new(&store.corrections()?));
    if store.judged_with()?.as_deref() == Some(now.as_str()) {
        return Ok(0);
    }
    if store.is_empty()? {
        store.set_judged_with(&now)?;
        return Ok(0);
    }
    reclassify(store, config)
}

/// The messages whose facts differ from those they were judged with.
/// `root_of`: each row's thread root, as an index into the rows.
fn facts(t: &LinkTable, root_of: &[usize]) -> Vec<(i64, Facts)> {
    let (mut own, mut calls) = (vec![false; t.id_count], vec![false; t.id_count]);
    let mut any_call = false;
    for r in t.rows.iter().filter(|r| r.source == Source::Own) {
        if let Some(id) = links::some(r.message_id) {
            own[id as usize] = true;
            if r.call_for_topics {
                calls[id as usize] = true;
                any_call = true;
            }
        }
    }
    // Each row's list tag, read once (in lower case, numbered), and the
    // threads and senders each heads among personal mail and list posts.
    let mut numbers: HashMap<String, u32> = HashMap::new();
    let tags: Vec<u32> = t
        .rows
        .iter()
        .map(|r| match crate::classify::source::list_tag(t.subject(r)) {
            Some(tag) => {
                let next = numbers.len() as u32;
                *numbers.entry(tag.to_ascii_lowercase()).or_insert(next)
            }
            None => links::NONE,
        })
        .collect();
    let mut seen: Vec<(HashSet<usize>, HashSet<u32>)> = vec![Default::default(); numbers.len()];
    for ((r, &root), &tag) in t.rows.iter().zip(root_of).zip(&tags) {
        if tag != links::NONE && matches!(r.source, Source::Direct | Source::List) {
            let (threads, senders) = &mut seen[tag as usize];
            threads.insert(root);
            senders.insert(r.sender);
        }
    }
    let list_tag = |i: usize| {
        links::some(tags[i]).is_some_and(|tag| {
            let (threads, senders) = &seen[tag as usize];
            crate::classify::source::is_list_share(threads.len(), senders.len())
        })
    };
    let mut out = Vec::new();
    for (i, r) in t.rows.iter().enumerate() {
        if matches!(r.source, Source::Own | Source::Automated) {
            continue;
        }
        let now = Facts {
            parent_is_owners: t.parent(r).is_some_and(|p| own[p as usize]),
            under_owners_call: any_call
                && t.refs(r)
                    .iter()
                    .copied()
                    .chain(links::some(r.in_reply_to))
                    .any(|x| calls[x as usize]),
            // Read for personal mail (and kept by the posts it made list
            // mail); a post with a list header needs no tag.
            list_tag: (r.source == Source::Direct || r.list_tag) && list_tag(i),
        };
        let then = Facts {
            parent_is_owners: r.parent_is_owners,
            under_owners_call: r.under_owners_call,
            list_tag: r.list_tag,
        };
        if now != then {
            out.push((r.id, now));
        }
    }
    out
}

/// [`refresh`] when messages or places were added since the last one: by
/// this run, or by one that stopped before its refresh.
pub(crate) fn refresh_if_pending(store: &mut Store, owner: &Owner) -> Result<()> {
    if store.refresh_pending()? {
        refresh(store, owner)?;
    }
    Ok(())
}

pub(crate) fn threads(links: &[Links], mode: Mode) -> Vec<thread::Thread> {
    let input: Vec<ThreadInput> = links
        .iter()
        .map(|l| ThreadInput {
            message_id: &l.message_id,
            references: &l.references,
            in_reply_to: l.in_reply_to.as_deref(),
            subject: &l.subject,
            date: l.date,
            permalink: l.context.post_url.as_deref(),
            place: l.context.list_id.as_deref(),
        })
        .collect();
    thread::thread(&input, mode)
}

/// One group of topic requests, as `topics --json` and the digest show it.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct TopicGroup {
    pub id: i64,
    pub label: String,
    pub state: TopicState,
    pub link: Option<String>,
    pub messages: Vec<String>,
    pub askers: Vec<String>,
    /// The askers' own words, one per request.
    pub words: Vec<String>,
    /// The requests' phrases, one per request.
    pub phrases: Vec<String>,
    /// When each request was made (the message's date), one per request.
    pub dates: Vec<i64>,
    /// The asker of each request, one per request.
    pub asked_by: Vec<String>,
}

impl TopicGroup {
    pub fn first_asked(&self) -> Option<i64> {
        self.dates.iter().copied().min()
    }
    pub fn last_asked(&self) -> Option<i64> {
        self.dates.iter().copied().max()
    }
    /// How many readers asked since `since` (a Unix time).
    pub fn askers_since(&self, since: i64) -> usize {
        let mut who: Vec<&str> = self
            .dates
            .iter()
            .zip(&self.asked_by)
            .filter(|(d, _)| **d >= since)
            .map(|(_, a)| a.as_str())
            .collect();
        who.sort_unstable();
        who.dedup();
        who.len()
    }
}

/// Group every topic request in the store, honouring the owner's synonyms and merges.
pub(crate) fn topic_groups(store: &mut Store, config: &Config) -> Result<Vec<TopicGroup>> {
    let links = store.topic_links()?;
    let mut requests = Vec::new();
    for l in links.iter().filter(|l| !l.topics.is_empty()) {
        // A comment system's notification comes from the system: the asker is
        // the commenter, by address, or by name when the system gives none (Disqus).
        let asker = l
            .context
            .author
            .as_ref()
            .map(|a| {
                if a.email.is_empty() {
                    a.name.clone()
                } else {
                    a.email.clone()
                }
            })
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| l.from_addr.clone());
        for t in &l.topics {
            requests.push((l.message_id.clone(), asker.clone(), t.clone(), l.date));
        }
    }
    let phrases: Vec<&str> = requests
        .iter()
        .map(|(_, _, t, _)| t.phrase.as_str())
        .collect();
    let synonyms = &config.topics.synonyms;
    let groups = crate::subjects::group(&phrases, synonyms);
    // What the owner's merges taught: a topic's other wordings.
    let learned: Vec<(i64, Vec<String>)> = store
        .topic_phrases()?
        .into_iter()
        .map(|(topic, phrase, _)| (topic, crate::subjects::keys(&phrase, synonyms)))
        .collect();
    let mut by_id: BTreeMap<i64, TopicGroup> = BTreeMap::new();
    for g in groups {
        let mut topic = store.topic_for(&g.key, &g.label)?;
        // A topic the owner has not touched whose requests read like a
        // merged topic's wordings joins that topic.
        let untouched = topic.state == TopicState::Open
            && topic.merged_into.is_none()
            && !learned.iter().any(|(t, _)| *t == topic.id);
        if untouched && !learned.is_empty() {
            let members: Vec<Vec<String>> = g
                .members
                .iter()
                .map(|&m| crate::subjects::keys(phrases[m], synonyms))
                .collect();
            let like =
                |k: &Vec<String>| members.iter().any(|m| crate::subjects::same_subject(m, k));
            if let Some((t, _)) = learned.iter().find(|(_, k)| like(k))
                && let Some(t) = store.topic(*t)?
            {
                topic = t;
            }
        }
        // Follow the owner's merges to the topic that survives.
        let mut hops = 0;
        while let Some(into) = topic.merged_into {
            match store.topic(into)? {
                Some(t) if hops < 16 => topic = t,
                _ => break,
            }
            hops += 1;
        }
        let entry = by_id.entry(topic.id).or_insert_with(|| TopicGroup {
            id: topic.id,
            label: topic.label.clone(),
            state: topic.state,
            link: topic.link.clone(),
            messages: Vec::new(),
            askers: Vec::new(),
            words: Vec::new(),
            phrases: Vec::new(),
            dates: Vec::new(),
            asked_by: Vec::new(),
        });
        for i in g.members {
            let (mid, asker, req, date) = &requests[i];
            if !entry.messages.contains(mid) {
                entry.messages.push(mid.clone());
            }
            if !entry.askers.contains(asker) {
                entry.askers.push(asker.clone());
            }
            entry.words.push(req.words.clone());
            entry.phrases.push(req.phrase.clone());
            entry.dates.push(*date);
            entry.asked_by.push(asker.clone());
        }
    }
    let mut out: Vec<TopicGroup> = by_id.into_values().collect();
    // Most readers first; among as many, the most recently asked.
    out.sort_by(|a, b| {
        b.askers
            .len()
            .cmp(&a.askers.len())
            .then(b.last_asked().cmp(&a.last_asked()))
            .then(a.id.cmp(&b.id))
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Owner;
    use crate::store::Location;

    /// A WordPress comment notice (`parent`: the commenter it answers, by name).
    fn wp_notice(
        id: &str,
        post: &str,
        author: &str,
        email: &str,
        parent: &str,
        date: &str,
    ) -> Vec<u8> {
        let reply = if parent.is_empty() {
            String::new()
        } else {
            format!("In reply to: {parent}\r\n")
        };
        format!(
            "Message-ID: <{id}@blog.example>\r\nFrom: \"{author}\" <wordpress@blog.example>\r\n\
             To: robin@ellis-on-it.example\r\nDate: {date}\r\n\
             Subject: [Blog] Comment: \"{post}\"\r\n\r\n\
             New comment on your post \"{post}\"\r\nAuthor: {author} (IP address: 192.0.2.1)\r\n\
             Email: {email}\r\n{reply}Comment: \r\nWhich UPS do you use for the {post} setup?\r\n\r\n\
             You can see all comments on this post here:\r\nhttps://blog.example/{post}/#comments\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_reply_naming_its_parent_answers_that_commenters_comment_on_that_post_only() {
        let owner = Owner::new("Robin Ellis", &["robin@ellis-on-it.example"]);
        let at = || Location {
            place: "file:in".into(),
            uid: 0,
            sent: false,
        };
        let mails = [
            wp_notice(
                "a1",
                "ups",
                "Ann Lee",
                "ann@reader.example",
                "",
                "Mon, 2 Nov 2026 09:00:00 +0000",
            ),
            wp_notice(
                "a2",
                "nas",
                "Ann Lee",
                "ann@reader.example",
                "",
                "Mon, 2 Nov 2026 10:00:00 +0000",
            ),
            wp_notice(
                "r1",
                "ups",
                "Robin Ellis",
                "robin@ellis-on-it.example",
                "ann lee",
                "Tue, 3 Nov 2026 09:00:00 +0000",
            ),
        ];
        let mut store = Store::in_memory().unwrap();
        let batch: Vec<_> = mails
            .into_iter()
            .map(|m| crate::import::prepare(m, at(), &owner))
            .collect();
        store.save_batch(&batch, None).unwrap();
        refresh(&mut store, &owner).unwrap();
        let answered = |id: &str| {
            store
                .row_by_message_id(id)
                .unwrap()
                .and_then(|l| l.answered_by)
        };
        assert_eq!(
            answered("a1@blog.example"),
            Some("r1@blog.example".to_string())
        );
        assert_eq!(
            answered("a2@blog.example"),
            None,
            "a comment on another post"
        );
    }

    #[test]
    fn a_refresh_left_pending_by_a_stopped_run_is_done_by_the_next() {
        let owner = Owner::new("Robin Ellis", &["robin@ellis-on-it.example"]);
        let at = |place: &str, sent: bool| Location {
            place: place.into(),
            uid: 0,
            sent,
        };
        let question = b"Message-ID: <q@reader.example>\r\nFrom: Ann <ann@reader.example>\r\nTo: robin@ellis-on-it.example\r\nSubject: UPS?\r\n\r\nRobin, which UPS do you use?\r\n";
        let answer = b"Message-ID: <a@ellis-on-it.example>\r\nFrom: Robin Ellis <robin@ellis-on-it.example>\r\nTo: ann@reader.example\r\nIn-Reply-To: <q@reader.example>\r\nSubject: Re: UPS?\r\n\r\nAn APC.\r\n";
        let mut store = Store::in_memory().unwrap();
        let batch = [
            crate::import::prepare(question.to_vec(), at("file:in", false), &owner),
            crate::import::prepare(answer.to_vec(), at("file:sent", true), &owner),
        ];
        store.save_batch(&batch, None).unwrap();
        // The run stops here, before its refresh; the next one finds the note.
        refresh_if_pending(&mut store, &owner).unwrap();
        let q = store.row_by_message_id("q@reader.example").unwrap();
        assert_eq!(
            q.and_then(|l| l.answered_by),
            Some("a@ellis-on-it.example".to_string())
        );
        assert!(!store.refresh_pending().unwrap());
    }
}
