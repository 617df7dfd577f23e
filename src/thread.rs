//! Threading: turns a flat list of parsed messages into conversations, after
//! `message` has decoded the headers and before `classify` and `digest` look at
//! whole threads. Pure code, no I/O.
//!
//! The core is Jamie Zawinski's algorithm (<https://www.jwz.org/doc/threading.html>)
//! in the form RFC 5256 section 3 standardises as THREAD=REFERENCES: link
//! Message-ID / References / In-Reply-To into containers (dummies stand for
//! messages we never saw), refuse links that would make a loop, prune dummies,
//! then sort siblings by date. Two modes differ only after the links:
//! - `Strict` follows RFC 5256 to the letter (References before In-Reply-To,
//!   subject merging of every root), so it can be checked against IMAP servers;
//! - `Conversation` is what the digest uses: In-Reply-To wins over References
//!   (it names the message actually answered), blog comments on one post are
//!   grouped under that post, and subjects only join a reply that carries no
//!   link at all to a thread in the same place at most a week older.
//!
//! Every walk over a tree is iterative: a 10,000-deep reply chain is hostile
//! mail we must survive, not a reason to overflow the stack.

use std::collections::HashMap;

use thin_vec::ThinVec;

use crate::intern::Interner;

/// One message as threading sees it; the caller keeps the full message.
pub(crate) struct ThreadInput<'a> {
    /// Without angle brackets; empty when the message has none.
    pub message_id: &'a str,
    /// References ids in order, without brackets.
    pub references: &'a [String],
    /// First id of In-Reply-To, without brackets.
    pub in_reply_to: Option<&'a str>,
    /// Decoded subject.
    pub subject: &'a str,
    /// Unix seconds UTC (0 when unknown).
    pub date: i64,
    /// Blog post URL of a comment notification: such mail has no References.
    pub permalink: Option<&'a str>,
    /// List id or folder: subjects only group messages in the same place.
    pub place: Option<&'a str>,
}

/// One message as the threading core sees it: its ids interned as numbers
/// (`Ids`), so a store of 170,000 messages threads without a string per link.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Linked<'a> {
    /// None when the message has no id.
    pub message_id: Option<u32>,
    /// References ids in order (no empty ones).
    pub references: &'a [u32],
    pub in_reply_to: Option<u32>,
    pub subject: &'a str,
    pub date: i64,
    /// Blog post URL, interned apart from message ids.
    pub permalink: Option<u32>,
    /// List id or folder, interned apart from message ids.
    pub place: Option<u32>,
}

/// Where threading reads each message's links, by index: a slice of
/// [`Linked`], or a table that makes each one when asked (the refresh's
/// table of 170,000 messages is not copied once more to be threaded).
pub(crate) trait LinkSource {
    fn len(&self) -> usize;
    fn at(&self, i: usize) -> Linked<'_>;
}

impl LinkSource for [Linked<'_>] {
    fn len(&self) -> usize {
        <[Linked]>::len(self)
    }

    fn at(&self, i: usize) -> Linked<'_> {
        self[i]
    }
}

/// Stands for None where a `u32` replaces an `Option`: no container for an
/// interned id of [`Linked`] yet, no message in a container (a dummy), no
/// parent.
const NO_CONTAINER: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Follow reply links; subjects only where links are missing (the product).
    Conversation,
    /// RFC 5256 THREAD=REFERENCES exactly (conformance).
    Strict,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Node {
    /// None for a dummy: a parent we never saw (or the post of blog comments).
    pub message_id: Option<String>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone)]
pub(crate) struct Thread {
    /// Message id of the first real message in tree order.
    pub root: String,
    /// Indices into the input, in tree order (pre-order).
    pub messages: Vec<usize>,
    pub tree: Node,
}

/// How far apart an unlinked reply and the thread it joins by subject may be.
const SUBJECT_WINDOW_SECS: i64 = 7 * 24 * 3600;

/// Subjects that say nothing: grouping on them would merge strangers.
const PLACEHOLDER_SUBJECTS: &[&str] = &["(no subject)", "no subject", "(none)", "(sans objet)"];

/// Threads `input`; threads come oldest first, siblings sorted by date.
pub(crate) fn thread(input: &[ThreadInput], mode: Mode) -> Vec<Thread> {
    // Intern the ids: message ids in one table, permalinks and places apart.
    fn intern<'a>(table: &mut HashMap<&'a str, u32>, s: Option<&'a str>) -> Option<u32> {
        let s = s.filter(|s| !s.is_empty())?;
        let next = table.len() as u32;
        Some(*table.entry(s).or_insert(next))
    }
    let (mut ids, mut links, mut places) = (HashMap::new(), HashMap::new(), HashMap::new());
    let refs: Vec<Vec<u32>> = input
        .iter()
        .map(|m| {
            m.references
                .iter()
                .filter_map(|r| intern(&mut ids, Some(r)))
                .collect()
        })
        .collect();
    let mut core = Vec::with_capacity(input.len());
    for (m, refs) in input.iter().zip(&refs) {
        core.push(Linked {
            message_id: intern(&mut ids, Some(m.message_id)),
            references: refs,
            in_reply_to: intern(&mut ids, m.in_reply_to),
            subject: m.subject,
            date: m.date,
            permalink: intern(&mut links, m.permalink),
            // An empty place is a place all the same.
            place: m.place.map(|p| {
                let next = places.len() as u32;
                *places.entry(p).or_insert(next)
            }),
        });
    }
    forest(core.as_slice(), ids.len(), mode).into_threads(input)
}

/// The thread of every message of `input`: the index of its thread's root
/// (its first message in tree order), as [`thread`] would find it, without
/// building the trees. `ids` bounds the interned message ids.
pub(crate) fn roots<L: LinkSource + ?Sized>(input: &L, ids: usize, mode: Mode) -> Vec<usize> {
    let forest = forest(input, ids, mode);
    let mut root_of = vec![usize::MAX; input.len()];
    for &r in &forest.roots {
        let order = forest.preorder(&[r]);
        let mut messages = order.iter().filter_map(|&c| forest.nodes[c].message());
        if let Some(first) = messages.next() {
            root_of[first] = first;
            for i in messages {
                root_of[i] = first;
            }
        }
    }
    root_of
}

fn forest<L: LinkSource + ?Sized>(input: &L, ids: usize, mode: Mode) -> Forest {
    let mut forest = Forest::link(input, ids, mode);
    forest.prune_dummies();
    forest.sort(input);
    match mode {
        Mode::Strict => forest.merge_subjects_rfc5256(input),
        Mode::Conversation => forest.merge_unlinked_replies(input),
    }
    forest.sort(input);
    forest
}

/// A container of JWZ's algorithm: a message, or a dummy standing for one.
/// 32 bytes on 64-bit targets (numbers instead of options, the sort key in
/// two fields so that nothing is padded, a one-word children list). At 64
/// bytes, R-help's 176,000 containers held 14 MB of the refresh's peak.
struct Container {
    /// The input index of its message; [`NO_CONTAINER`] for a dummy.
    msg: u32,
    /// Only meaningful while linking; children lists take over afterwards.
    /// [`NO_CONTAINER`] for none.
    parent: u32,
    /// Lets the loop check skip containers that cannot have descendants.
    child_count: u32,
    /// The sort key (date, input index) of the node, or of its first child
    /// for a dummy: see [`Container::key`].
    key_index: u32,
    key_date: i64,
    children: ThinVec<u32>,
}

struct Forest {
    nodes: Vec<Container>,
    roots: Vec<usize>,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Container>() == 32);

impl Container {
    /// The input index of its message; None for a dummy.
    fn message(&self) -> Option<usize> {
        (self.msg != NO_CONTAINER).then_some(self.msg as usize)
    }

    fn parent(&self) -> Option<usize> {
        (self.parent != NO_CONTAINER).then_some(self.parent as usize)
    }

    /// Siblings sort by this: (date, input index).
    fn key(&self) -> (i64, u32) {
        (self.key_date, self.key_index)
    }

    fn new(msg: Option<usize>) -> Self {
        Container {
            msg: msg.map_or(NO_CONTAINER, |m| m as u32),
            parent: NO_CONTAINER,
            child_count: 0,
            key_index: u32::MAX,
            key_date: i64::MAX,
            children: ThinVec::new(),
        }
    }
}

/// The id table of JWZ step 1, alive only while linking.
struct Linker {
    nodes: Vec<Container>,
    /// The container of each interned message id ([`NO_CONTAINER`] when none yet).
    by_id: Vec<u32>,
    by_permalink: HashMap<u32, usize>,
}

impl Linker {
    fn push(&mut self, msg: Option<usize>) -> usize {
        self.nodes.push(Container::new(msg));
        self.nodes.len() - 1
    }

    /// The container for a referenced id, a dummy if we have not seen it yet.
    fn container_for(&mut self, id: u32) -> usize {
        let slot = id as usize;
        if self.by_id[slot] != NO_CONTAINER {
            return self.by_id[slot] as usize;
        }
        let c = self.push(None);
        self.by_id[slot] = c as u32;
        c
    }

    /// RFC 5256 3 (1)(A): a message without an id, or whose id a previous
    /// message already holds, gets a container of its own that no reference
    /// can reach (a unique id).
    fn container_of_message(&mut self, index: usize, id: Option<u32>) -> usize {
        let Some(id) = id else {
            return self.push(Some(index));
        };
        match self.by_id[id as usize] {
            NO_CONTAINER => {
                let c = self.push(Some(index));
                self.by_id[id as usize] = c as u32;
                c
            }
            c if self.nodes[c as usize].msg == NO_CONTAINER => {
                self.nodes[c as usize].msg = index as u32;
                c as usize
            }
            _ => self.push(Some(index)),
        }
    }

    fn permalink_container(&mut self, permalink: u32) -> usize {
        if let Some(&c) = self.by_permalink.get(&permalink) {
            return c;
        }
        let c = self.push(None);
        self.by_permalink.insert(permalink, c);
        c
    }

    /// True when making `parent` the parent of `child` would close a loop,
    /// that is when `parent` is `child` or one of its descendants.
    fn would_loop(&self, parent: usize, child: usize) -> bool {
        if parent == child {
            return true;
        }
        if self.nodes[child].child_count == 0 {
            return false;
        }
        let mut up = Some(parent);
        while let Some(x) = up {
            if x == child {
                return true;
            }
            up = self.nodes[x].parent();
        }
        false
    }

    fn set_parent(&mut self, child: usize, parent: Option<usize>) {
        if let Some(old) = self.nodes[child].parent() {
            self.nodes[old].child_count -= 1;
        }
        self.nodes[child].parent = parent.map_or(NO_CONTAINER, |p| p as u32);
        if let Some(p) = parent {
            self.nodes[p].child_count += 1;
        }
    }

    /// RFC 5256 3 (1)(A): chain the references, never changing a parent
    /// already set (a truncated References header may disagree).
    fn link_chain(&mut self, chain: &[u32]) {
        for pair in chain.windows(2) {
            let parent = self.container_for(pair[0]);
            let child = self.container_for(pair[1]);
            if self.nodes[child].parent().is_none() && !self.would_loop(parent, child) {
                self.set_parent(child, Some(parent));
            }
        }
    }

    /// RFC 5256 3 (1)(B): the message's own parent is definitive, so it
    /// replaces a parent guessed from another message's References.
    fn adopt(&mut self, own: usize, parent: Option<usize>) {
        self.set_parent(own, None);
        if let Some(p) = parent
            && !self.would_loop(p, own)
        {
            self.set_parent(own, Some(p));
        }
    }
}

/// The ids a message says it answers, oldest first, its parent last.
fn reply_chain(m: &Linked, mode: Mode, chain: &mut Vec<u32>) {
    chain.clear();
    chain.extend_from_slice(m.references);
    let Some(irt) = m.in_reply_to else {
        return;
    };
    match mode {
        // RFC 5256 3 (1)(A): In-Reply-To only when References has no id.
        Mode::Strict => {
            if chain.is_empty() {
                chain.push(irt);
            }
        }
        // In-Reply-To names the message answered; References are often
        // trimmed or copied from the wrong message (notmuch does the same).
        Mode::Conversation => match chain.iter().position(|r| *r == irt) {
            Some(k) => chain.truncate(k + 1),
            None => chain.push(irt),
        },
    }
}

impl Forest {
    /// JWZ steps 1 and 2 (RFC 5256 3 (1) and (2)).
    fn link<L: LinkSource + ?Sized>(input: &L, ids: usize, mode: Mode) -> Forest {
        let mut linker = Linker {
            nodes: Vec::with_capacity(input.len() + input.len() / 2),
            by_id: vec![NO_CONTAINER; ids],
            by_permalink: HashMap::new(),
        };
        let mut chain = Vec::new();
        for index in 0..input.len() {
            let m = &input.at(index);
            let own = linker.container_of_message(index, m.message_id);
            reply_chain(m, mode, &mut chain);
            linker.link_chain(&chain);
            let parent = match chain.last() {
                Some(&last) => Some(linker.container_for(last)),
                None => match (mode, m.permalink) {
                    (Mode::Conversation, Some(post)) => Some(linker.permalink_container(post)),
                    _ => None,
                },
            };
            linker.adopt(own, parent);
        }
        let mut nodes = linker.nodes;
        let mut roots = Vec::new();
        for c in 0..nodes.len() {
            match nodes[c].parent() {
                Some(p) => nodes[p].children.push(c as u32),
                None => roots.push(c),
            }
        }
        Forest { nodes, roots }
    }

    fn is_dummy(&self, c: usize) -> bool {
        self.nodes[c].msg == NO_CONTAINER
    }

    /// Every node under `tops`, each before its descendants.
    fn preorder(&self, tops: &[usize]) -> Vec<usize> {
        // Grows as needed: most calls walk one thread, and reserving room
        // for the whole forest each time cost an mmap and a munmap per thread.
        let mut order = Vec::new();
        let mut stack: Vec<usize> = tops.iter().rev().copied().collect();
        while let Some(c) = stack.pop() {
            order.push(c);
            stack.extend(self.nodes[c].children.iter().rev().map(|&x| x as usize));
        }
        order
    }

    /// RFC 5256 3 (3): dummies go, their children move up a level, except
    /// that several children never become roots on their own.
    fn prune_dummies(&mut self) {
        for &c in self.preorder(&self.roots).iter().rev() {
            let children = std::mem::take(&mut self.nodes[c].children);
            let mut kept = ThinVec::with_capacity(children.len());
            for child in children {
                if self.is_dummy(child as usize) {
                    kept.append(&mut self.nodes[child as usize].children);
                } else {
                    kept.push(child);
                }
            }
            self.nodes[c].children = kept;
        }
        let roots = std::mem::take(&mut self.roots);
        for r in roots {
            match (self.is_dummy(r), self.nodes[r].children.len()) {
                (true, 0) => {}
                (true, 1) => self.roots.push(self.nodes[r].children[0] as usize),
                _ => self.roots.push(r),
            }
        }
    }

    /// RFC 5256 3 (4) and (6): siblings by sent date, ties by position in
    /// the input; a dummy sorts as its first child.
    fn sort<L: LinkSource + ?Sized>(&mut self, input: &L) {
        for &c in self.preorder(&self.roots).iter().rev() {
            let mut children = std::mem::take(&mut self.nodes[c].children);
            children.sort_by_key(|&x| self.nodes[x as usize].key());
            let (date, index) = match self.nodes[c].message() {
                Some(i) => (input.at(i).date, i as u32),
                None => children
                    .first()
                    .map_or((i64::MAX, u32::MAX), |&f| self.nodes[f as usize].key()),
            };
            (self.nodes[c].key_date, self.nodes[c].key_index) = (date, index);
            self.nodes[c].children = children;
        }
        let mut roots = std::mem::take(&mut self.roots);
        roots.sort_by_key(|&r| self.nodes[r].key());
        self.roots = roots;
    }

    /// The message whose subject names the thread: a dummy's first child.
    fn subject_message(&self, root: usize) -> Option<usize> {
        match self.nodes[root].message() {
            Some(i) => Some(i),
            None => self.nodes[root]
                .children
                .first()
                .and_then(|&c| self.nodes[c as usize].message()),
        }
    }

    /// RFC 5256 3 (5): roots with the same base subject become one thread.
    fn merge_subjects_rfc5256<L: LinkSource + ?Sized>(&mut self, input: &L) {
        let subjects: Vec<Option<(String, bool)>> = self
            .roots
            .iter()
            .map(|&r| {
                let i = self.subject_message(r)?;
                let (base, reply) = subject_parts(input.at(i).subject);
                (!base.is_empty()).then(|| (base.to_lowercase(), reply))
            })
            .collect();
        // (5)(B): one root per subject, preferring a dummy, then a non-reply.
        let mut table: HashMap<&str, (usize, bool)> = HashMap::new();
        for (&r, subject) in self.roots.iter().zip(&subjects) {
            let Some((base, reply)) = subject else {
                continue;
            };
            let entry = table.entry(base.as_str()).or_insert((r, *reply));
            let held = entry.0;
            if !self.is_dummy(held) && (self.is_dummy(r) || (entry.1 && !reply)) {
                *entry = (r, *reply);
            }
        }
        // (5)(C): merge every other root into the one in the table.
        let mut at_root: Vec<bool> = vec![false; self.nodes.len()];
        for &r in &self.roots {
            at_root[r] = true;
        }
        let roots = self.roots.clone();
        for (&r, subject) in roots.iter().zip(&subjects) {
            let Some((base, reply)) = subject else {
                continue;
            };
            let Some(&(held, held_reply)) = table.get(base.as_str()) else {
                continue;
            };
            if held == r || !at_root[r] {
                continue;
            }
            at_root[r] = false;
            let (r_dummy, held_dummy) = (self.is_dummy(r), self.is_dummy(held));
            if r_dummy && held_dummy {
                let mut moved = std::mem::take(&mut self.nodes[r].children);
                self.nodes[held].children.append(&mut moved);
            } else if held_dummy || (*reply && !held_reply) {
                self.nodes[held].children.push(r as u32);
            } else {
                let dummy = self.nodes.len();
                let mut joined = Container::new(None);
                joined.children = thin_vec::thin_vec![held as u32, r as u32];
                self.nodes.push(joined);
                at_root.push(true);
                at_root[held] = false;
                table.insert(base.as_str(), (dummy, false));
            }
        }
        // Survivors and the dummies made above; sorted again later.
        self.roots = (0..self.nodes.len()).filter(|&c| at_root[c]).collect();
    }

    /// Conversation mode's subject rule: a reply ("Re:", "Fwd:") that names
    /// no parent at all joins the most recent thread in the same place with
    /// the same base subject, if that thread was active within the window.
    /// Roots that are not replies never merge: a weekly "Newsletter" or many
    /// "(no subject)" mails are separate conversations.
    fn merge_unlinked_replies<L: LinkSource + ?Sized>(&mut self, input: &L) {
        // Subjects interned: a string per root held 3 MB of R-help's refresh.
        let mut subjects = Interner::default();
        let mut latest: HashMap<(Option<u32>, u32), (usize, i64)> = HashMap::new();
        let roots = std::mem::take(&mut self.roots);
        for r in roots {
            let last = self.last_date(r, input);
            let Some(i) = self.subject_message(r) else {
                self.roots.push(r);
                continue;
            };
            let (base, reply) = subject_parts(input.at(i).subject);
            let key_subject = base.to_lowercase();
            if key_subject.is_empty() || PLACEHOLDER_SUBJECTS.contains(&key_subject.as_str()) {
                self.roots.push(r);
                continue;
            }
            let m = input.at(i);
            let key = (m.place, subjects.intern(&key_subject));
            let unlinked = !self.is_dummy(r) && has_no_link(&m);
            match latest.get_mut(&key) {
                Some((host, host_last))
                    if unlinked && reply && m.date - *host_last <= SUBJECT_WINDOW_SECS =>
                {
                    *host_last = (*host_last).max(last);
                    self.nodes[*host].children.push(r as u32);
                }
                _ => {
                    latest.insert(key, (r, last));
                    self.roots.push(r);
                }
            }
        }
    }

    /// The date of the newest message in the thread under `top`.
    fn last_date<L: LinkSource + ?Sized>(&self, top: usize, input: &L) -> i64 {
        self.preorder(&[top])
            .iter()
            .filter_map(|&c| self.nodes[c].message())
            .map(|i| input.at(i).date)
            .max()
            .unwrap_or(i64::MIN)
    }

    fn into_threads(self, input: &[ThreadInput]) -> Vec<Thread> {
        let mut built: Vec<Option<Node>> = (0..self.nodes.len()).map(|_| None).collect();
        let mut threads = Vec::with_capacity(self.roots.len());
        for &r in &self.roots {
            let order = self.preorder(&[r]);
            for &c in order.iter().rev() {
                let children = self.nodes[c]
                    .children
                    .iter()
                    .filter_map(|&x| built[x as usize].take())
                    .collect();
                let message_id = self.nodes[c]
                    .message()
                    .map(|i| input[i].message_id.to_string());
                built[c] = Some(Node {
                    message_id,
                    children,
                });
            }
            let messages: Vec<usize> = order
                .iter()
                .filter_map(|&c| self.nodes[c].message())
                .collect();
            let (Some(tree), Some(&first)) = (built[r].take(), messages.first()) else {
                continue;
            };
            threads.push(Thread {
                root: input[first].message_id.to_string(),
                messages,
                tree,
            });
        }
        threads
    }
}

/// A message that names no parent: no References, In-Reply-To or permalink.
fn has_no_link(m: &Linked) -> bool {
    m.references.is_empty() && m.in_reply_to.is_none() && m.permalink.is_none()
}

/// Drop a deep tree without recursing once per level.
impl Drop for Node {
    fn drop(&mut self) {
        let mut stack = std::mem::take(&mut self.children);
        while let Some(mut node) = stack.pop() {
            stack.append(&mut node.children);
        }
    }
}

/// The base subject of RFC 5256 section 2.1: "Re:", "Fwd:" and "[list]"
/// prefixes, "(fwd)" trailers, "[fwd: ...]" wrappers and extra whitespace
/// removed. Case is kept; compare base subjects case-insensitively.
#[cfg(test)]
pub(crate) fn base_subject(subject: &str) -> String {
    subject_parts(subject).0
}

/// The base subject and whether the message is a reply or forward, which
/// RFC 5256 defines as: extraction removed a subj-refwd, a "(fwd)" trailer or
/// a "[fwd: ]" wrapper.
fn subject_parts(subject: &str) -> (String, bool) {
    // Step 1: whitespace runs (tabs, unfolded lines) become one space.
    let mut s: String = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut reply = false;
    loop {
        // Step 2: trailers.
        reply |= strip_trailers(&mut s);
        // Steps 3 to 5: leaders and blobs, until neither applies.
        loop {
            let before = s.len();
            while let Some((rest, refwd)) = strip_leader(&s) {
                reply |= refwd;
                s = rest.to_string();
            }
            if let Some(rest) = strip_blob(&s) {
                s = rest.to_string();
            }
            if s.len() == before {
                break;
            }
        }
        // Step 6: "[fwd: subject]" wrapper, then again from step 2.
        if starts_with_ci(&s, "[fwd:") && s.ends_with(']') {
            s = s[5..s.len() - 1].to_string();
            reply = true;
            continue;
        }
        return (s, reply);
    }
}

/// subj-trailer = "(fwd)" / WSP; true if a "(fwd)" went.
fn strip_trailers(s: &mut String) -> bool {
    let mut fwd = false;
    loop {
        if s.ends_with(' ') {
            s.pop();
        } else if s.len() >= 5
            && s.is_char_boundary(s.len() - 5)
            && s[s.len() - 5..].eq_ignore_ascii_case("(fwd)")
        {
            s.truncate(s.len() - 5);
            fwd = true;
        } else {
            return fwd;
        }
    }
}

/// One subj-leader = (*subj-blob subj-refwd) / WSP; the rest and whether it
/// was a subj-refwd.
fn strip_leader(s: &str) -> Option<(&str, bool)> {
    if let Some(rest) = s.strip_prefix(' ') {
        return Some((rest, false));
    }
    let mut rest = s;
    while let Some(after) = blob(rest) {
        rest = after;
    }
    refwd(rest).map(|after| (after, true))
}

/// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
fn refwd(s: &str) -> Option<&str> {
    let rest = if starts_with_ci(s, "re") {
        &s[2..]
    } else if starts_with_ci(s, "fwd") {
        &s[3..]
    } else if starts_with_ci(s, "fw") {
        &s[2..]
    } else {
        return None;
    };
    let rest = rest.trim_start_matches(' ');
    let rest = blob(rest).unwrap_or(rest);
    rest.strip_prefix(':')
}

/// subj-blob = "[" *BLOBCHAR "]" *WSP; what follows it.
fn blob(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('[')?;
    let end = inner.find([']', '['])?;
    if inner.as_bytes()[end] != b']' {
        return None;
    }
    Some(inner[end + 1..].trim_start_matches(' '))
}

/// Step 4: a leading blob goes only if a non-empty base subject remains.
fn strip_blob(s: &str) -> Option<&str> {
    let rest = blob(s)?;
    let mut check = rest.to_string();
    strip_trailers(&mut check);
    (!check.is_empty()).then_some(rest)
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Message ids in a Message-ID, References or In-Reply-To header, without
/// brackets (RFC 5322 3.6.4 msg-id = "<" id-left "@" id-right ">"). Tolerant
/// of what real mail does: junk or comments between ids, "<" nested in an
/// In-Reply-To phrase (the innermost bracket wins), and ids with no brackets
/// at all when the header has none.
pub(crate) fn parse_msg_ids(header: &str) -> Vec<String> {
    if !header.contains('<') {
        return header
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| t.contains('@') && !t.starts_with('@') && !t.ends_with('@'))
            .map(|t| t.trim_end_matches('>').to_string())
            .collect();
    }
    let mut ids = Vec::new();
    let mut rest = header;
    while let Some(close) = rest.find('>') {
        let before = &rest[..close];
        if let Some(open) = before.rfind('<') {
            let id = before[open + 1..].trim();
            if !id.is_empty() && !id.contains(char::is_whitespace) {
                ids.push(id.to_string());
            }
        }
        rest = &rest[close + 1..];
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message for tests, owning what `ThreadInput` borrows.
    #[derive(Clone)]
    struct Mail {
        id: String,
        refs: Vec<String>,
        irt: Option<String>,
        subject: String,
        date: i64,
        permalink: Option<String>,
        place: Option<String>,
    }

    fn mail(id: &str, refs: &[&str], subject: &str, date: i64) -> Mail {
        Mail {
            id: id.to_string(),
            refs: refs.iter().map(|r| r.to_string()).collect(),
            irt: None,
            subject: subject.to_string(),
            date,
            permalink: None,
            place: None,
        }
    }

    fn inputs(mails: &[Mail]) -> Vec<ThreadInput<'_>> {
        mails
            .iter()
            .map(|m| ThreadInput {
                message_id: &m.id,
                references: &m.refs,
                in_reply_to: m.irt.as_deref(),
                subject: &m.subject,
                date: m.date,
                permalink: m.permalink.as_deref(),
                place: m.place.as_deref(),
            })
            .collect()
    }

    /// A tree as "id(child child)", dummies as "*", for readable asserts.
    fn shape(node: &Node) -> String {
        let mut out = node.message_id.clone().unwrap_or_else(|| "*".to_string());
        if !node.children.is_empty() {
            let children: Vec<String> = node.children.iter().map(shape).collect();
            out.push('(');
            out.push_str(&children.join(" "));
            out.push(')');
        }
        out
    }

    fn shapes(mails: &[Mail], mode: Mode) -> Vec<String> {
        thread(&inputs(mails), mode)
            .iter()
            .map(|t| shape(&t.tree))
            .collect()
    }

    const DAY: i64 = 24 * 3600;

    /// `roots`, which the refresh uses on interned ids, puts every message
    /// in the thread `thread` puts it in.
    #[test]
    fn roots_agree_with_the_threads_built_in_full() {
        let mut unlinked = mail("r", &[], "Re: s", 5 * DAY);
        unlinked.place = Some("l".into());
        let mut host = mail("h", &[], "s", 4 * DAY);
        host.place = Some("l".into());
        let mut irt = mail("c", &["a"], "Re: x", 3);
        irt.irt = Some("b".into());
        let mut comment = mail("k", &[], "comment", 9);
        comment.permalink = Some("https://b.example/p".into());
        let mut comment2 = mail("k2", &[], "comment", 10);
        comment2.permalink = Some("https://b.example/p".into());
        let mails = [
            mail("b", &["a"], "x", 1),
            mail("d", &["a"], "y", 2),
            irt,
            mail("a", &["b"], "x", 4),
            mail("e", &[], "", 6),
            mail("e", &[], "dup id", 7),
            mail("", &["e"], "no id", 8),
            host,
            unlinked,
            comment,
            comment2,
        ];
        for mode in [Mode::Strict, Mode::Conversation] {
            let inputs = inputs(&mails);
            let mut want = vec![usize::MAX; mails.len()];
            for t in thread(&inputs, mode) {
                for &i in &t.messages {
                    want[i] = t.messages[0];
                }
            }
            // The same input, interned as the refresh interns it.
            let mut ids: HashMap<String, u32> = HashMap::new();
            let mut id = |s: &str| -> Option<u32> {
                let next = ids.len() as u32;
                (!s.is_empty()).then(|| *ids.entry(s.to_string()).or_insert(next))
            };
            let refs: Vec<Vec<u32>> = mails
                .iter()
                .map(|m| m.refs.iter().filter_map(|r| id(r.as_str())).collect())
                .collect();
            let heads: Vec<_> = mails
                .iter()
                .map(|m| (id(m.id.as_str()), m.irt.as_deref().and_then(&mut id)))
                .collect();
            let linked: Vec<Linked> = mails
                .iter()
                .zip(&refs)
                .zip(&heads)
                .map(|((m, refs), &(message_id, in_reply_to))| Linked {
                    message_id,
                    references: refs,
                    in_reply_to,
                    subject: &m.subject,
                    date: m.date,
                    permalink: m.permalink.as_ref().map(|_| 0),
                    place: m.place.as_ref().map(|_| 0),
                })
                .collect();
            assert_eq!(roots(linked.as_slice(), ids.len(), mode), want, "{mode:?}");
        }
    }

    #[test]
    fn thread_missing_parent_becomes_dummy_only_when_it_joins_two() {
        let one = [mail("b", &["a"], "x", 1)];
        assert_eq!(shapes(&one, Mode::Conversation), ["b"]);
        let two = [mail("b", &["a"], "x", 1), mail("c", &["a"], "y", 2)];
        assert_eq!(shapes(&two, Mode::Conversation), ["*(b c)"]);
        let threads = thread(&inputs(&two), Mode::Conversation);
        assert_eq!(threads[0].root, "b");
        assert_eq!(threads[0].messages, [0, 1]);
    }

    #[test]
    fn thread_references_order_out_of_order_arrival() {
        let mails = [
            mail("c", &["a", "b"], "Re: s", 3),
            mail("a", &[], "s", 1),
            mail("b", &["a"], "Re: s", 2),
        ];
        for mode in [Mode::Strict, Mode::Conversation] {
            assert_eq!(shapes(&mails, mode), ["a(b(c))"], "{mode:?}");
        }
    }

    #[test]
    fn thread_reference_loop_is_broken_not_followed() {
        // a says it answers b, b says it answers a: one must stay the root.
        let mails = [mail("a", &["b"], "x", 1), mail("b", &["a"], "x", 2)];
        for mode in [Mode::Strict, Mode::Conversation] {
            let threads = thread(&inputs(&mails), mode);
            assert_eq!(threads.len(), 1, "{mode:?}");
            assert_eq!(threads[0].messages.len(), 2);
        }
        let selfref = [mail("a", &["a"], "x", 1)];
        assert_eq!(shapes(&selfref, Mode::Strict), ["a"]);
    }

    #[test]
    fn thread_duplicate_message_id_keeps_both_messages() {
        let mails = [
            mail("a", &[], "x", 1),
            mail("b", &["a"], "y", 2),
            mail("a", &[], "z", 3),
        ];
        let threads = thread(&inputs(&mails), Mode::Conversation);
        let mut all: Vec<usize> = threads.iter().flat_map(|t| t.messages.clone()).collect();
        all.sort();
        assert_eq!(all, [0, 1, 2]);
        assert_eq!(shapes(&mails, Mode::Conversation), ["a(b)", "a"]);
    }

    #[test]
    fn thread_in_reply_to_wins_in_conversation_mode_only() {
        let mut reply = mail("c", &["a"], "Re: x", 3);
        reply.irt = Some("b".to_string());
        let mails = [mail("a", &[], "x", 1), mail("b", &["a"], "Re: x", 2), reply];
        assert_eq!(shapes(&mails, Mode::Conversation), ["a(b(c))"]);
        assert_eq!(shapes(&mails, Mode::Strict), ["a(b c)"]);
    }

    #[test]
    fn thread_permalink_groups_blog_comments_under_the_post() {
        let mut mails = Vec::new();
        for (i, post) in ["p1", "p2", "p1", "p1"].iter().enumerate() {
            let mut m = mail(&format!("c{i}"), &[], "New comment", i as i64 * 60);
            m.permalink = Some(format!("https://blog.example/{post}"));
            mails.push(m);
        }
        assert_eq!(shapes(&mails, Mode::Conversation), ["*(c0 c2 c3)", "c1"]);
        // Strict ignores permalinks: RFC 5256 merges all by subject instead.
        assert_eq!(thread(&inputs(&mails), Mode::Strict).len(), 1);
    }

    #[test]
    fn thread_no_subject_and_weekly_posts_stay_apart() {
        let mut mails = Vec::new();
        for i in 0..20 {
            mails.push(mail(&format!("n{i}"), &[], "(no subject)", i * 60));
            mails.push(mail(&format!("r{i}"), &[], "Re: (no subject)", i * 60 + 1));
            mails.push(mail(&format!("w{i}"), &[], "Weekly digest", i * DAY));
        }
        assert_eq!(thread(&inputs(&mails), Mode::Conversation).len(), 60);
    }

    #[test]
    fn thread_unlinked_reply_joins_recent_thread_in_same_place() {
        let mut mails = vec![
            mail("a", &[], "Spring column", 0),
            mail("b", &[], "Re: Spring column", DAY),
            mail("c", &[], "Re: spring column", 30 * DAY),
            mail("d", &[], "Re: Spring column", 2 * DAY),
        ];
        mails[3].place = Some("other-list".to_string());
        assert_eq!(shapes(&mails, Mode::Conversation), ["a(b)", "d", "c"]);
        // A linked reply is never moved by its subject.
        let mut linked = mail("e", &[], "Re: Spring column", DAY);
        linked.irt = Some("zzz".to_string());
        let mails = [mail("a", &[], "Spring column", 0), linked];
        assert_eq!(shapes(&mails, Mode::Conversation), ["a", "e"]);
    }

    #[test]
    fn thread_siblings_sorted_by_date_then_input_order() {
        let mails = [
            mail("a", &[], "x", 0),
            mail("c", &["a"], "y", 20),
            mail("b", &["a"], "y", 10),
            mail("d", &["a"], "y", 10),
        ];
        assert_eq!(shapes(&mails, Mode::Conversation), ["a(b d c)"]);
    }

    #[test]
    fn thread_deep_chain_does_not_overflow() {
        let n = 10_000;
        let mails: Vec<Mail> = (0..n)
            .map(|i| {
                let mut m = mail(&format!("m{i}"), &[], "Re: deep", i as i64);
                if i > 0 {
                    m.irt = Some(format!("m{}", i - 1));
                }
                m
            })
            .collect();
        // Reversed arrival makes every link reparent an existing dummy.
        let reversed: Vec<Mail> = mails.iter().rev().cloned().collect();
        for set in [&mails, &reversed] {
            let threads = thread(&inputs(set), Mode::Conversation);
            assert_eq!(threads.len(), 1);
            assert_eq!(threads[0].messages.len(), n);
            let mut depth = 0;
            let mut node = &threads[0].tree;
            while let Some(child) = node.children.first() {
                depth += 1;
                node = child;
            }
            assert_eq!(depth, n - 1);
        }
    }

    #[test]
    fn thread_fifty_thousand_messages_fast() {
        // 5,000 list threads of 10 messages, References as real clients write them.
        let mut mails = Vec::new();
        for t in 0..5_000 {
            for k in 0..10 {
                let refs: Vec<String> = (0..k).map(|j| format!("{t}.{j}@x")).collect();
                let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                let subject = if k == 0 {
                    format!("topic {t}")
                } else {
                    format!("Re: topic {t}")
                };
                mails.push(mail(&format!("{t}.{k}@x"), &refs, &subject, t * 600 + k));
            }
        }
        let input = inputs(&mails);
        for mode in [Mode::Conversation, Mode::Strict] {
            let start = std::time::Instant::now();
            let threads = thread(&input, mode);
            let took = start.elapsed();
            println!("thread: 50,000 messages in {took:?} ({mode:?})");
            assert_eq!(threads.len(), 5_000);
            let limit = if cfg!(debug_assertions) { 10.0 } else { 1.0 };
            assert!(took.as_secs_f64() < limit, "{took:?}");
        }
    }

    #[test]
    fn thread_base_subject_rfc5256() {
        let cases = [
            ("Re: foo", "foo", true),
            ("RE:  Re:foo (fwd)", "foo", true),
            ("[list] Re: [PATCH] foo", "foo", true),
            ("[PATCH 1/2] foo", "foo", false),
            ("[xyz]", "[xyz]", false),
            ("Fwd: [fwd: Re: bar]", "bar", true),
            ("re: [fwd: [fwd: re: [fwd: babylon]]]", "babylon", true),
            ("Ad: Re: Ad: x", "Ad: Re: Ad: x", false),
            ("b (a)", "b (a)", false),
            ("  \t ", "", false),
            ("Re[2]: hi", "hi", true),
            ("Réponse: été", "Réponse: été", false),
        ];
        for (subject, base, reply) in cases {
            assert_eq!(
                subject_parts(subject),
                (base.to_string(), reply),
                "{subject:?}"
            );
        }
    }

    #[test]
    fn thread_parse_msg_ids_tolerant() {
        assert_eq!(parse_msg_ids("<a@b> <c@d>"), ["a@b", "c@d"]);
        assert_eq!(
            parse_msg_ids("<a@b>,junk (comment) <c@d>\r\n\t<e@f>"),
            ["a@b", "c@d", "e@f"]
        );
        assert_eq!(parse_msg_ids("a@b c@d"), ["a@b", "c@d"]);
        assert_eq!(parse_msg_ids("Your message of <a b> <x@y>"), ["x@y"]);
        assert_eq!(parse_msg_ids("<<x@y>"), ["x@y"]);
        assert!(parse_msg_ids("").is_empty());
        assert!(parse_msg_ids("no ids here").is_empty());
        assert!(parse_msg_ids("<>").is_empty());
    }

    /// The corpus folder, or None after saying loudly that a test is skipped.
    fn corpora(test: &str) -> Option<std::path::PathBuf> {
        match std::env::var_os("ALLEARS_CORPORA") {
            Some(dir) => Some(std::path::PathBuf::from(dir)),
            None => {
                eprintln!(
                    "!!! {test} SKIPPED: set ALLEARS_CORPORA=/work/shared/corpora to run it !!!"
                );
                None
            }
        }
    }

    /// One message of a corpus, with the header fields threading needs.
    struct Parsed {
        mail: Mail,
        author: String,
    }

    /// Parses a message's header block; `fallback_date` is the INTERNALDATE
    /// that RFC 5256 2.2 uses when Date is missing or broken.
    fn parse_message(raw: &[u8], fallback_date: i64) -> Parsed {
        use mailparse::MailHeaderMap;
        let headers = mailparse::parse_headers(raw)
            .map(|(h, _)| h)
            .unwrap_or_default();
        let first = |name: &str| headers.get_first_value(name);
        let id = first("Message-ID")
            .and_then(|v| parse_msg_ids(&v).into_iter().next())
            .unwrap_or_default();
        let refs = first("References")
            .map(|v| parse_msg_ids(&v))
            .unwrap_or_default();
        let irt = first("In-Reply-To").and_then(|v| parse_msg_ids(&v).into_iter().next());
        let subject = first("Subject").unwrap_or_default();
        let date = first("Date")
            .and_then(|d| mailparse::dateparse(&d).ok())
            .unwrap_or(fallback_date);
        let author = headers
            .get_first_header("From")
            .and_then(|h| mailparse::addrparse_header(h).ok())
            .and_then(|list| list.extract_single_info())
            .map(|info| info.display_name.unwrap_or(info.addr))
            .unwrap_or_default();
        let mut mail = mail(&id, &[], &subject, date);
        mail.refs = refs;
        mail.irt = irt;
        Parsed { mail, author }
    }

    /// The date of an mbox "From " line: "From a@b  Fri Feb 22 17:06:23 2008 [+0200]".
    fn from_line_date(line: &str) -> Option<i64> {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let words: Vec<&str> = line.split_whitespace().collect();
        let month_name = *words.get(3)?;
        let month = MONTHS.iter().position(|m| *m == month_name)? as i8 + 1;
        let day: i8 = words.get(4)?.parse().ok()?;
        let hms: Vec<i8> = words
            .get(5)?
            .split(':')
            .map(|n| n.parse().ok())
            .collect::<Option<_>>()?;
        let year: i16 = words.get(6)?.parse().ok()?;
        let offset = match words.get(7) {
            Some(z) => {
                let n: i32 = z.parse().ok()?;
                n / 100 * 3600 + n % 100 * 60
            }
            None => 0,
        };
        let civil =
            jiff::civil::date(year, month, day).at(*hms.first()?, *hms.get(1)?, *hms.get(2)?, 0);
        let offset = jiff::tz::Offset::from_seconds(offset).ok()?;
        Some(offset.to_timestamp(civil).ok()?.as_second())
    }

    /// Splits an mbox on "From " lines (at the start or after a blank line).
    fn split_mbox(text: &str) -> Vec<Mail> {
        let mut mails = Vec::new();
        let mut current: Option<(i64, String)> = None;
        let mut previous_blank = true;
        for line in text.split_inclusive('\n') {
            if previous_blank && line.starts_with("From ") {
                if let Some((date, raw)) = current.take() {
                    mails.push(parse_message(raw.as_bytes(), date).mail);
                }
                current = Some((from_line_date(line).unwrap_or(0), String::new()));
            } else if let Some((_, raw)) = current.as_mut() {
                raw.push_str(line);
            }
            previous_blank = line.trim_end().is_empty();
        }
        if let Some((date, raw)) = current {
            mails.push(parse_message(raw.as_bytes(), date).mail);
        }
        mails
    }

    /// RFC 5256 section 4: "(1 (2 3)(4))", sequence numbers from `seq`.
    fn imap_thread_list(threads: &[Thread]) -> String {
        let mut out = String::new();
        for t in threads {
            let mut numbers = t.messages.iter().map(|&i| i + 1);
            out.push('(');
            write_members(&t.tree, &mut numbers, &mut out);
            out.push(')');
        }
        out
    }

    /// thread-members then thread-nested for one node and its descendants;
    /// real nodes are numbered in tree order, as `Thread::messages` lists them.
    fn write_members(top: &Node, numbers: &mut impl Iterator<Item = usize>, out: &mut String) {
        let mut node = top;
        loop {
            if node.message_id.is_some() {
                if !out.ends_with('(') {
                    out.push(' ');
                }
                out.push_str(&numbers.next().unwrap_or(0).to_string());
            }
            match node.children.len() {
                0 => return,
                1 => node = &node.children[0],
                _ => {
                    if !out.ends_with('(') {
                        out.push(' ');
                    }
                    for child in &node.children {
                        out.push('(');
                        write_members(child, numbers, out);
                        out.push(')');
                    }
                    return;
                }
            }
        }
    }

    /// RFC 5256 ORDEREDSUBJECT, built on `base_subject`: group by base
    /// subject, sort by date; the first message is the parent of the rest.
    fn imap_orderedsubject(box_mails: &[Mail]) -> String {
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        let mut order: Vec<usize> = (0..box_mails.len()).collect();
        order.sort_by_key(|&i| (box_mails[i].date, i));
        for i in order {
            let key = base_subject(&box_mails[i].subject).to_lowercase();
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => groups.push((key, vec![i])),
            }
        }
        let mut out = String::new();
        for (_, members) in groups {
            out.push('(');
            out.push_str(&(members[0] + 1).to_string());
            match members.len() {
                1 => {}
                2 => out.push_str(&format!(" {}", members[1] + 1)),
                _ => {
                    out.push(' ');
                    for m in &members[1..] {
                        out.push_str(&format!("({})", m + 1));
                    }
                }
            }
            out.push(')');
        }
        out
    }

    /// Plays an imaptest script: appends, expunges and THREAD commands over
    /// its mbox; returns (passed, total) and prints every comparison.
    fn play_imaptest(script: &str, mbox: &[Mail], name: &str) -> (usize, usize) {
        let mut mailbox: Vec<&Mail> = Vec::new();
        let mut next_append = 0;
        let mut deleted: Vec<usize> = Vec::new();
        let mut pending: Option<&str> = None;
        let (mut passed, mut total) = (0, 0);
        for line in script.lines().map(str::trim) {
            let lower = line.to_ascii_lowercase();
            if lower == "messages: all" {
                mailbox = mbox.iter().collect();
                next_append = mbox.len();
            } else if lower == "ok append" {
                if let Some(m) = mbox.get(next_append) {
                    mailbox.push(m);
                    next_append += 1;
                }
            } else if let Some(set) = lower
                .strip_prefix("ok store ")
                .and_then(|r| r.strip_suffix(" +flags \\deleted"))
            {
                deleted.extend(set.split(',').filter_map(|n| n.parse::<usize>().ok()));
            } else if lower == "ok expunge" {
                let mut seq = 0;
                mailbox.retain(|_| {
                    seq += 1;
                    !deleted.contains(&seq)
                });
                deleted.clear();
            } else if lower.starts_with("ok thread references") {
                pending = Some("references");
            } else if lower.starts_with("ok thread orderedsubject") {
                pending = Some("orderedsubject");
            } else if let (Some(algorithm), Some(expected)) =
                (pending, lower.strip_prefix("* thread "))
            {
                pending = None;
                let owned: Vec<Mail> = mailbox.iter().map(|&m| m.clone()).collect();
                let got = match algorithm {
                    "references" => imap_thread_list(&thread(&inputs(&owned), Mode::Strict)),
                    _ => imap_orderedsubject(&owned),
                };
                total += 1;
                let ok = got == expected;
                passed += usize::from(ok);
                println!(
                    "  {name} {algorithm}: expected {expected} got {got} {}",
                    if ok { "ok" } else { "FAIL" }
                );
            }
        }
        (passed, total)
    }

    #[test]
    fn corpus_imaptest_thread() {
        let Some(corpora) = corpora("corpus_imaptest_thread") else {
            return;
        };
        let dir = corpora.join("dovecot-imaptest/src/tests");
        let mut scripts: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
            .expect("imaptest tests folder")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                name.starts_with("thread") && p.extension().is_none()
            })
            .collect();
        scripts.sort();
        let (mut passed, mut total) = (0, 0);
        for script in &scripts {
            let name = script.file_name().and_then(|n| n.to_str()).unwrap_or("?");
            let text = std::fs::read_to_string(script).expect("script");
            let mbox = std::fs::read(script.with_extension("mbox")).expect("mbox");
            let mails = split_mbox(&String::from_utf8_lossy(&mbox));
            let (p, t) = play_imaptest(&text, &mails, name);
            passed += p;
            total += t;
        }
        println!("corpus_imaptest_thread: {passed}/{total} THREAD responses match");
        assert!(total > 0, "no THREAD commands found in {}", dir.display());
        assert_eq!(passed, total);
    }

    /// How notmuch-tree labels a message: UTC day and author cut to 20 chars.
    fn notmuch_label(date: i64, author: &str) -> String {
        let day = jiff::Timestamp::from_second(date)
            .map(|t| jiff::tz::Offset::UTC.to_datetime(t).date().to_string())
            .unwrap_or_default();
        format!("{day} {}", author.chars().take(20).collect::<String>())
    }

    /// A tree from notmuch-tree's drawing: "  DATE  AUTHOR(20) ├┬►subject (tags)".
    /// Returns one canonical string per thread.
    fn notmuch_expected_threads(text: &str) -> Vec<String> {
        struct Line {
            label: String,
            subject: String,
            depth: usize,
        }
        let mut lines = Vec::new();
        for line in text.lines() {
            let chars: Vec<char> = line.chars().collect();
            let Some(arrow) = chars.iter().position(|&c| c == '►') else {
                continue;
            };
            let date: String = chars[2..12].iter().collect();
            let author: String = chars[14..34]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string();
            let rest: String = chars[arrow + 1..].iter().collect();
            let subject = rest
                .rsplit_once(" (")
                .map_or(rest.as_str(), |(s, _)| s)
                .trim()
                .to_string();
            lines.push(Line {
                label: format!("{date} {author}"),
                subject,
                depth: arrow,
            });
        }
        // A top-level line has the arrow furthest left; each level adds one.
        let left = lines.iter().map(|l| l.depth).min().unwrap_or(0);
        for line in &mut lines {
            line.depth -= left;
        }
        // Rebuild children lists from depths, then canonicalise bottom-up.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); lines.len()];
        let mut roots = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            stack.truncate(line.depth);
            match stack.last() {
                Some(&p) => children[p].push(i),
                None => roots.push(i),
            }
            stack.push(i);
        }
        fn canon(i: usize, lines: &[Line], children: &[Vec<usize>]) -> String {
            let mut kids: Vec<String> = children[i]
                .iter()
                .map(|&c| canon(c, lines, children))
                .collect();
            kids.sort();
            format!("{}[{}]", lines[i].label, kids.join(","))
        }
        roots
            .iter()
            .map(|&r| format!("{} :: {}", lines[r].subject, canon(r, &lines, &children)))
            .collect()
    }

    /// notmuch-tree draws subjects without leading "Re: " (emacs
    /// `notmuch-show-strip-re`, regexp "^\\([Rr]e: *\\)+").
    fn notmuch_strip_re(subject: &str) -> &str {
        let mut s = subject;
        while let Some(rest) = s.strip_prefix("Re:").or_else(|| s.strip_prefix("re:")) {
            s = rest.trim_start_matches(' ');
        }
        s
    }

    /// Our threads in the same canonical form; `labels` per input index.
    fn notmuch_actual_threads(
        threads: &[Thread],
        labels: &[String],
        subjects: &[String],
    ) -> Vec<String> {
        fn canon(
            node: &Node,
            order: &mut impl Iterator<Item = usize>,
            labels: &[String],
        ) -> String {
            let label = match node.message_id {
                Some(_) => order.next().map_or("?".to_string(), |i| labels[i].clone()),
                None => "(missing)".to_string(),
            };
            let mut kids: Vec<String> = node
                .children
                .iter()
                .map(|c| canon(c, order, labels))
                .collect();
            kids.sort();
            format!("{label}[{}]", kids.join(","))
        }
        threads
            .iter()
            .map(|t| {
                let mut order = t.messages.iter().copied();
                let subject = t.messages.first().map_or("", |&i| subjects[i].as_str());
                format!(
                    "{} :: {}",
                    notmuch_strip_re(subject),
                    canon(&t.tree, &mut order, labels)
                )
            })
            .collect()
    }

    fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn corpus_notmuch_default() {
        let Some(corpora) = corpora("corpus_notmuch_default") else {
            return;
        };
        let root = corpora.join("notmuch/test");
        let mut seen = std::collections::HashSet::new();
        let mut parsed = Vec::new();
        for path in files_under(&root.join("corpora/default")) {
            let raw = std::fs::read(&path).expect("message file");
            let p = parse_message(&raw, 0);
            // The store keeps one copy per Message-ID, as notmuch does.
            if p.mail.id.is_empty() || seen.insert(p.mail.id.clone()) {
                parsed.push(p);
            }
        }
        let labels: Vec<String> = parsed
            .iter()
            .map(|p| notmuch_label(p.mail.date, &p.author))
            .collect();
        let subjects: Vec<String> = parsed.iter().map(|p| p.mail.subject.clone()).collect();
        let mails: Vec<Mail> = parsed.into_iter().map(|p| p.mail).collect();
        let threads = thread(&inputs(&mails), Mode::Conversation);
        let mut actual = notmuch_actual_threads(&threads, &labels, &subjects);
        let drawing =
            std::fs::read_to_string(root.join("emacs-tree.expected-output/notmuch-tree-tag-inbox"))
                .expect("notmuch expected tree");
        let mut expected = notmuch_expected_threads(&drawing);
        actual.sort();
        expected.sort();
        let matched = expected.iter().filter(|e| actual.contains(e)).count();
        for e in expected.iter().filter(|e| !actual.contains(e)) {
            println!("  expected, not found: {e}");
        }
        for a in actual.iter().filter(|a| !expected.contains(a)) {
            println!("  found, not expected: {a}");
        }
        println!(
            "corpus_notmuch_default: {} messages, {} threads (notmuch draws {}), {matched}/{} thread shapes match",
            mails.len(),
            actual.len(),
            expected.len(),
            expected.len()
        );
        assert_eq!(
            expected.len(),
            24,
            "the drawing should hold notmuch's 24 threads"
        );
        assert_eq!(actual, expected);
    }

    /// Threads every message file under `dir` in `mode`; input index order
    /// is the sorted path order.
    fn thread_folder(dir: &std::path::Path, mode: Mode) -> (Vec<Mail>, Vec<Thread>) {
        let mails: Vec<Mail> = files_under(dir)
            .iter()
            .filter_map(|path| std::fs::read(path).ok())
            .map(|raw| parse_message(&raw, 0).mail)
            .collect();
        let threads = thread(&inputs(&mails), mode);
        (mails, threads)
    }

    #[test]
    fn corpus_notmuch_every_message_once() {
        let Some(corpora) = corpora("corpus_notmuch_every_message_once") else {
            return;
        };
        let dir = corpora.join("notmuch/test/corpora");
        for mode in [Mode::Conversation, Mode::Strict] {
            let (mails, threads) = thread_folder(&dir, mode);
            let mut seen: Vec<usize> = threads.iter().flat_map(|t| t.messages.clone()).collect();
            seen.sort();
            println!(
                "corpus_notmuch_every_message_once: {} files, {} threads ({mode:?})",
                mails.len(),
                threads.len()
            );
            assert!(mails.len() > 300, "{} files", mails.len());
            assert_eq!(seen, (0..mails.len()).collect::<Vec<_>>(), "{mode:?}");
        }
        // In-Reply-To loop (loop-12 <-> loop-21): one thread, both messages.
        let (_, threads) = thread_folder(&dir.join("broken/loop"), Mode::Conversation);
        assert_eq!(threads.len(), 1);
        assert_eq!(threads[0].messages.len(), 2);
        // A typo in References and References in reverse order: In-Reply-To
        // still gives root -> child -> grand-child.
        let (_, threads) =
            thread_folder(&dir.join("threading/parent-priority"), Mode::Conversation);
        let chain: Vec<String> = threads.iter().map(|t| shape(&t.tree)).collect();
        assert_eq!(
            chain,
            ["B00-root@example.org(B01-child@example.org(B01-grand-child@example.org))"]
        );
    }
}
