//! Comment and notification platforms, kept as data (`platforms.toml`):
//! how to recognise each one's mail, what kind of notice it is, and where
//! in it the person, their words, the post and the comment are.
//!
//! Comes after `message.rs`; `source.rs` asks it first whether a message is
//! a platform's notice. The catalogue's entries are tried in order; the
//! last, `generic`, recognises a notice of a platform the catalogue does
//! not know by its form ("Ann commented on “Post”:" and her words), so that
//! a new platform's comment is still a comment, not automated mail. Nothing
//! here is English-only code: every phrase is a pattern in the data.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde::Deserialize;

use crate::message::{Address, Message};

/// What kind of mail a platform sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    /// A reader's new comment (or a listener's voice message).
    Comment,
    /// A reader's reply to a comment.
    Reply,
    /// A reader's comment held for moderation.
    Held,
    /// A comment the platform holds as spam.
    Spam,
    /// Another site linking to or mentioning the owner's post.
    Pingback,
    /// The platform's own mail: members, payments, statistics, accounts.
    Account,
    /// The platform's word that the owner's own comment or reply is
    /// published ("Your reply was published").
    Own,
}

/// A platform's notice, read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Notice {
    /// The platform's name ("Ghost").
    pub platform: String,
    pub kind: Option<Kind>,
    /// The person behind it: the commenter, the caller, the linking site.
    pub author: Option<Address>,
    pub post_title: Option<String>,
    pub post_url: Option<String>,
    pub comment_url: Option<String>,
    pub parent_url: Option<String>,
    /// The commenter a reply says it answers, when it names them instead of
    /// linking their comment ("En réponse à : Margaux Pelletier").
    pub parent_name: Option<String>,
    pub moderation_url: Option<String>,
    /// The notice says the comment answers the owner's own comment.
    pub to_owner: bool,
    /// The person's words.
    pub words: String,
}

impl Notice {
    pub fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Comment)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Catalogue {
    /// Named pieces of pattern shared by many entries: `{by}` in a pattern
    /// stands for `(?:` + the piece + `)`. A piece may use earlier pieces.
    #[serde(default, rename = "piece")]
    pieces: Vec<Piece>,
    platform: Vec<Spec>,
}

/// One named piece of pattern.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Piece {
    name: String,
    pattern: String,
}

/// One platform, as `platforms.toml` describes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    id: String,
    name: String,
    /// Where its format was learned from.
    #[serde(default)]
    #[allow(dead_code)]
    docs: String,
    /// Sender addresses, `*` globs.
    #[serde(default)]
    from: Vec<String>,
    /// Sender display names, `*` globs (lower case).
    #[serde(default)]
    names: Vec<String>,
    /// Header names (`*` globs) only this platform writes.
    #[serde(default)]
    headers: Vec<String>,
    /// Text (or HTML) only this platform's mail carries, such as its links.
    #[serde(default)]
    markers: Vec<String>,
    /// Recognised by a notice's own pattern alone (`generic`).
    #[serde(default)]
    by_notice: bool,
    /// Also recognised when a subject and a body pattern both match.
    #[serde(default)]
    also: Vec<Also>,
    notice: Vec<NoticeSpec>,
    #[serde(default)]
    fields: Fields,
    #[serde(default)]
    words: WordsSpec,
}

/// A subject pattern and a body pattern that together say which platform sent a message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Also {
    subject: String,
    body: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeSpec {
    kind: Kind,
    /// Regexes on the subject; any may match.
    #[serde(default)]
    subject: Vec<String>,
    /// Regexes on the text (multi-line: `^` and `$` are line ends); any may match.
    #[serde(default)]
    body: Vec<String>,
    /// The notice says the comment answers the owner's comment.
    #[serde(default)]
    to_owner: bool,
}

/// Regexes with a named group each (`name`, `email`, `title`, `url`),
/// tried on the subject, then on the text, in order.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fields {
    #[serde(default)]
    author: Vec<String>,
    #[serde(default)]
    email: Vec<String>,
    #[serde(default)]
    title: Vec<String>,
    #[serde(default)]
    post_url: Vec<String>,
    #[serde(default)]
    comment_url: Vec<String>,
    #[serde(default)]
    parent_url: Vec<String>,
    #[serde(default)]
    parent_name: Vec<String>,
    #[serde(default)]
    moderation_url: Vec<String>,
    /// When no `author` pattern names them: the person is this header's
    /// mailbox ("from" or "reply-to"), as platforms that send in the
    /// commenter's name do.
    #[serde(default)]
    author_from: Option<String>,
}

/// Where the person's words are.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WordsSpec {
    /// "html": read the HTML part (some platforms put the comment only there).
    #[serde(default)]
    part: Part,
    /// The words start after the first line matching one of these (the
    /// rest of that line, after a label's colon, is words too).
    #[serde(default)]
    after: Vec<String>,
    /// The words end before the first line matching one of these.
    #[serde(default)]
    until: Vec<String>,
    /// Lines inside the words that are the platform's, not the person's.
    #[serde(default)]
    skip: Vec<String>,
    /// The platform quotes the words with `>` (take it off); otherwise a
    /// `>` line is the person quoting someone.
    #[serde(default)]
    unquote: bool,
    /// The words start after the last `after` line, not the first (a reply
    /// shown under the comment it answers).
    #[serde(default)]
    last: bool,
    /// A line that opens the person's words when it follows the owner's
    /// comment under a heading ("Your comment:" and its quote, then the
    /// reader's byline "Dale Whitlock - Sep 19").
    #[serde(default)]
    byline: Vec<String>,
    /// The first line after `after` is the post's title, not the words;
    /// the words may stand in quotation marks or be `>`-quoted (taken off).
    #[serde(default)]
    title_first: bool,
    /// Without an `after` line, the words open the text (another version
    /// of the template puts them first).
    #[serde(default)]
    top: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Part {
    #[default]
    Text,
    Html,
}

/// A [`Spec`] with its patterns compiled.
struct Platform {
    id: String,
    name: String,
    from: Vec<String>,
    names: Vec<String>,
    headers: Vec<String>,
    by_notice: bool,
    also: Vec<(Regex, Regex)>,
    notices: Vec<(Kind, Patterns, Patterns, bool)>,
    author: Patterns,
    email: Patterns,
    title: Patterns,
    post_url: Patterns,
    comment_url: Patterns,
    parent_url: Patterns,
    parent_name: Patterns,
    moderation_url: Patterns,
    author_from: Option<String>,
    part: Part,
    after: Patterns,
    until: Patterns,
    skip: Patterns,
    unquote: bool,
    last: bool,
    byline: Patterns,
    title_first: bool,
    top: bool,
}

/// A list of the catalogue's patterns, each checked when the catalogue is
/// read and built the first time the list is used. Most mail meets few
/// platforms: the whole catalogue built held 32 MB (the generic entry 20 MB,
/// its notices 5 MB of that), and a list archive's posts use little more
/// than the generic entry's notices.
struct Patterns {
    sources: Vec<String>,
    built: std::sync::OnceLock<Vec<Regex>>,
}

impl Patterns {
    /// `list` with its pieces in place, each pattern parsed now so that a
    /// mistake names its entry when the catalogue is read.
    fn new(list: &[String], pieces: &[(String, String)], what: &str) -> Result<Patterns, String> {
        let sources = list
            .iter()
            .map(|p| {
                let p = format!("(?mR){}", with_pieces(p, pieces)?);
                regex_automata::util::syntax::parse(&p).map_err(|e| e.to_string())?;
                Ok(p)
            })
            .collect::<Result<_, String>>()
            .map_err(|e| format!("{what}: {e}"))?;
        Ok(Patterns {
            sources,
            built: std::sync::OnceLock::new(),
        })
    }

    fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

impl std::ops::Deref for Patterns {
    type Target = [Regex];

    fn deref(&self) -> &[Regex] {
        self.built.get_or_init(|| {
            self.sources
                .iter()
                .map(|p| {
                    regex::RegexBuilder::new(p)
                        .dfa_size_limit(dfa_cache_for(p))
                        .build()
                        // Parsed when read; the unit tests build them all.
                        .unwrap_or_else(|e| panic!("classify/platforms.toml: {e}"))
                })
                .collect()
        })
    }
}

struct Compiled {
    platforms: Vec<Platform>,
    /// Every platform's markers in one automaton; the pattern's index says whose.
    markers: Option<AhoCorasick>,
    marker_owner: Vec<usize>,
}

const CATALOGUE: &str = include_str!("platforms.toml");
/// Each pattern's lazy DFA may grow to this (the regex crate's default is
/// 2 MB a pattern: the catalogue's 400 patterns, filled by a list archive's
/// mail, held 26 MB)...
const DFA_BYTES: usize = 128 << 10;
/// ... or four times the least it can start in, up to 2 MB. In too small
/// a cache the regex crate gives up the lazy DFA (it cannot be built, or it
/// is cleared three times while each state has seen under ten bytes) and
/// runs its slowest engine, the PikeVM, over every text. The generic
/// entry's structural notice (a label, a name, two rule lines: Unicode
/// classes) starts in 211 KB; on 5,000 R-devel posts it took 179 ms in
/// 128 KB, 256 KB or 512 KB, and 6 ms in 1 MB (`pattern_costs` below). The
/// cache grows only as far as the mail drives it.
fn dfa_cache_for(pattern: &str) -> usize {
    use regex_automata::{hybrid::dfa::DFA, nfa::thompson};
    // Built as the regex crate builds them, forward (with capture states)
    // and in reverse (without): a start state for each pattern, Unicode
    // word boundaries. Both share the cache's size, and both must start.
    let build = |config: thompson::Config| {
        thompson::Compiler::new()
            .configure(config)
            .build(pattern)
            .ok()
    };
    let (Some(forward), Some(reverse)) = (
        build(thompson::Config::new().which_captures(thompson::WhichCaptures::All)),
        build(
            thompson::Config::new()
                .reverse(true)
                .which_captures(thompson::WhichCaptures::None),
        ),
    ) else {
        return DFA_BYTES;
    };
    let starts_in = |capacity: usize| {
        [&forward, &reverse].into_iter().all(|nfa| {
            DFA::builder()
                .configure(
                    DFA::config()
                        .starts_for_each_pattern(true)
                        .unicode_word_boundary(true)
                        .cache_capacity(capacity),
                )
                .build_from_nfa(nfa.clone())
                .is_ok()
        })
    };
    let least = (0..7).map(|i| (32 << 10) << i).find(|&c| starts_in(c));
    least.map_or(2 << 20, |c| (4 * c).clamp(DFA_BYTES, 2 << 20))
}

static COMPILED: LazyLock<Compiled> =
    LazyLock::new(|| compile(CATALOGUE).unwrap_or_else(|e| panic!("classify/platforms.toml: {e}")));

fn compile(text: &str) -> Result<Compiled, String> {
    let catalogue: Catalogue = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut pieces: Vec<(String, String)> = Vec::new();
    for piece in &catalogue.pieces {
        let pattern = with_pieces(&piece.pattern, &pieces)
            .map_err(|e| format!("piece {}: {e}", piece.name))?;
        pieces.push((piece.name.clone(), pattern));
    }
    let re = |list: &[String], what: &str| Patterns::new(list, &pieces, what);
    let mut platforms = Vec::new();
    let mut marker_list = Vec::new();
    let mut marker_owner = Vec::new();
    for (i, s) in catalogue.platform.into_iter().enumerate() {
        let at = |f: &str| format!("platform {}: {f}", s.id);
        for m in &s.markers {
            marker_list.push(m.clone());
            marker_owner.push(i);
        }
        let mut notices = Vec::new();
        for n in &s.notice {
            notices.push((
                n.kind,
                re(&n.subject, &at("notice.subject"))?,
                re(&n.body, &at("notice.body"))?,
                n.to_owner,
            ));
        }
        platforms.push(Platform {
            from: s.from.iter().map(|f| f.to_ascii_lowercase()).collect(),
            names: s.names.iter().map(|f| f.to_lowercase()).collect(),
            headers: s.headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
            by_notice: s.by_notice,
            also: s
                .also
                .iter()
                .map(|a| -> Result<(Regex, Regex), String> {
                    Ok((
                        re(std::slice::from_ref(&a.subject), &at("also.subject"))?[0].clone(),
                        re(std::slice::from_ref(&a.body), &at("also.body"))?[0].clone(),
                    ))
                })
                .collect::<Result<_, _>>()?,
            notices,
            author: re(&s.fields.author, &at("fields.author"))?,
            email: re(&s.fields.email, &at("fields.email"))?,
            title: re(&s.fields.title, &at("fields.title"))?,
            post_url: re(&s.fields.post_url, &at("fields.post_url"))?,
            comment_url: re(&s.fields.comment_url, &at("fields.comment_url"))?,
            parent_url: re(&s.fields.parent_url, &at("fields.parent_url"))?,
            parent_name: re(&s.fields.parent_name, &at("fields.parent_name"))?,
            moderation_url: re(&s.fields.moderation_url, &at("fields.moderation_url"))?,
            author_from: s.fields.author_from.clone(),
            part: s.words.part,
            after: re(&s.words.after, &at("words.after"))?,
            until: re(&s.words.until, &at("words.until"))?,
            skip: re(&s.words.skip, &at("words.skip"))?,
            unquote: s.words.unquote,
            last: s.words.last,
            byline: re(&s.words.byline, &at("words.byline"))?,
            title_first: s.words.title_first,
            top: s.words.top,
            id: s.id,
            name: s.name,
        });
    }
    let markers = if marker_list.is_empty() {
        None
    } else {
        Some(AhoCorasick::new(&marker_list).map_err(|e| e.to_string())?)
    };
    Ok(Compiled {
        platforms,
        markers,
        marker_owner,
    })
}

/// `pattern` with each `{name}` of a piece replaced by `(?:piece)`. A
/// lower-case name in braces that is no piece is an error (a typo would
/// otherwise be a regex matching the literal word); `\p{L}` and `{1,3}`
/// are the regex's own.
fn with_pieces(pattern: &str, pieces: &[(String, String)]) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
            .unwrap_or(after.len());
        let before = &rest[..open];
        let escaped = before.ends_with('\\') || before.ends_with("\\p") || before.ends_with("\\P");
        if name_len < 2 || !after[name_len..].starts_with('}') || escaped {
            out.push_str(&rest[..=open]);
            rest = after;
            continue;
        }
        let name = &after[..name_len];
        let Some((_, piece)) = pieces.iter().find(|(n, _)| n == name) else {
            return Err(format!("no piece named {{{name}}}"));
        };
        out.push_str(&rest[..open]);
        out.push_str("(?:");
        out.push_str(piece);
        out.push(')');
        rest = &after[name_len + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `*` matches any run of characters; the rest literally.
fn glob(pattern: &str, text: &str) -> bool {
    let Some((first, rest_pattern)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let last = rest_pattern.rsplit('*').next().unwrap_or("");
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    let middle = &rest_pattern[..rest_pattern.len() - last.len()];
    for mid in middle.split('*').filter(|m| !m.is_empty()) {
        match rest.find(mid) {
            Some(at) => rest = &rest[at + mid.len()..],
            None => return false,
        }
    }
    true
}

/// Which catalogue entry, if any, sent this message, and what it says.
pub(crate) fn notice(msg: &Message) -> Option<Notice> {
    let c = &*COMPILED;
    let from = msg.email_from();
    let from_name = msg
        .from
        .as_ref()
        .map(|a| a.name.trim_matches(['"', '\'', ' ']).to_lowercase())
        .unwrap_or_default();
    // Header names in lower case, made only if a platform asks for them.
    let names = std::cell::OnceCell::new();
    let names = || -> &Vec<String> {
        names.get_or_init(|| {
            msg.headers
                .iter()
                .map(|(k, _)| k.to_ascii_lowercase())
                .collect()
        })
    };
    let mut marked = vec![false; c.platforms.len()];
    // A discussion list's post (List-Post, or a list archive's) is no
    // platform's notice by its text: a platform that sends through list
    // headers (GitHub) is known by its own headers. Most of a list folder
    // skips the scan of its text.
    let posted_to_a_list = msg.has_header("List-Post") || msg.archived.is_some();
    if let Some(ac) = c.markers.as_ref().filter(|_| !posted_to_a_list) {
        for text in [Some(msg.text.as_str()), msg.html.as_deref()]
            .into_iter()
            .flatten()
        {
            for m in ac.find_overlapping_iter(text) {
                marked[c.marker_owner[m.pattern().as_usize()]] = true;
            }
        }
    }
    for (i, p) in c.platforms.iter().enumerate() {
        let known = marked[i]
            || p.from.iter().any(|f| glob(f, from))
            || (!from_name.is_empty() && p.names.iter().any(|n| glob(n, &from_name)))
            || p.headers.iter().any(|h| names().iter().any(|n| glob(h, n)))
            || p.also
                .iter()
                .any(|(s, b)| s.is_match(&msg.subject) && b.is_match(&msg.text));
        // Not this platform's mail, unless it is read by its notices alone.
        if !known && (!p.by_notice || !may_be_unknown_platform(msg)) {
            continue;
        }
        if let Some(n) = read(p, msg, known) {
            return Some(n);
        }
    }
    None
}

/// Could this be an unlisted platform's notice? Not list mail (nor a list
/// archive's post), not a social network's news about its own site, not a
/// person's reply ("RE: Fwd: New voice message from ...", answering mail
/// before it: the notice it quotes is not its own), and it links somewhere.
fn may_be_unknown_platform(msg: &Message) -> bool {
    let domain = msg.email_from().rsplit('@').next().unwrap_or("");
    !msg.has_header("List-Id")
        && msg.archived.is_none()
        && !super::source::social_network(domain)
        && (msg.in_reply_to.is_none() || !super::source::is_reply_subject(&msg.subject))
        && msg.text.contains("http")
}

/// Read a message as platform `p`'s notice. A platform recognised only by
/// its notices (`generic`) needs one of them to match. Where the part its
/// entry names yields no words, and the mail has the other part too
/// (another version of its template), that part is read if it yields the
/// words, or the author the first did not.
fn read(p: &Platform, msg: &Message, known: bool) -> Option<Notice> {
    match (p.part, &msg.html) {
        (Part::Html, Some(html)) => {
            let notice = read_part(p, msg, known, &crate::message::html_to_text(html))?;
            if notice.words.is_empty() && !msg.text.trim().is_empty() {
                let other = read_part(p, msg, known, &msg.text);
                let says_more = |o: &Notice| {
                    !o.words.is_empty() || (notice.author.is_none() && o.author.is_some())
                };
                if let Some(other) = other.filter(says_more) {
                    return Some(other);
                }
            }
            Some(notice)
        }
        _ => read_part(p, msg, known, &msg.text),
    }
}

/// Read `text`, one of the message's parts, as platform `p`'s notice.
fn read_part(p: &Platform, msg: &Message, known: bool, text: &str) -> Option<Notice> {
    let matched = p.notice_in(&msg.subject, text);
    if matched.is_none() && !known {
        return None;
    }
    // A known platform's mail that is none of its notices may still be one
    // by its form ("New comment on X", "pending moderation": another
    // version of its template); otherwise it is the platform's own mail.
    let kind = match matched {
        Some(k) => k.0,
        None => generic()
            .and_then(|g| g.notice_in(&msg.subject, text))
            .map_or(Kind::Account, |k| k.0),
    };
    let first = |list: &[Regex], group: &str| -> Option<String> {
        list.iter().find_map(|r| {
            [msg.subject.as_str(), text].iter().find_map(|t| {
                r.captures(t)
                    .and_then(|c| c.name(group))
                    .map(|m| m.as_str().trim().to_string())
                    .filter(|v| !v.is_empty())
            })
        })
    };
    let line = first_commenter(&p.author, &[msg.subject.as_str(), text]);
    let mut email = first(&p.email, "email").map(|e| e.to_ascii_lowercase());
    let mut name = None;
    if let Some((n, addr)) = line {
        if let Some(addr) = addr {
            email.get_or_insert(addr);
        }
        name = Some(n).filter(|n| !n.is_empty());
    }
    let header = match p.author_from.as_deref() {
        Some("from") => msg.from.as_ref(),
        Some("reply-to") => msg.reply_to.first(),
        _ => None,
    };
    if let Some(h) = header {
        let n = h.name.trim_matches(['"', '\'', ' ']);
        if name.is_none() && !n.is_empty() && !n.contains('@') {
            name = Some(n.to_string());
        }
        // The platform's own sender address is not the person's.
        // Nor is a reply address of its own domain ("reply+token@...").
        // (its domain's last two labels: "risposte.postilla.example").
        let domain = |e: &str| {
            let d = e.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
            let labels: Vec<&str> = d.rsplit('.').take(2).collect();
            labels.join(".")
        };
        let own = h.email == msg.email_from()
            || domain(&h.email) == domain(msg.email_from())
            || routed_reply(&h.email);
        if email.is_none() && !own && h.email.contains('@') {
            email = Some(h.email.clone());
        }
    }
    let author = (name.is_some() || email.is_some()).then(|| Address {
        name: name.unwrap_or_default(),
        email: email.unwrap_or_default(),
    });
    // Where a platform's mail does not look as its entry says (another
    // version, another template), the person is read as an unknown
    // platform's would be.
    let author = author.or_else(|| {
        let (name, email) = first_commenter(&generic()?.author, &[msg.subject.as_str(), text])?;
        Some(Address {
            name,
            email: email.unwrap_or_default(),
        })
    });
    // A link to the comment reads alike on every platform: the generic
    // entry's patterns serve an entry whose own find none.
    let comment_url =
        first(&p.comment_url, "url").or_else(|| first(&generic()?.comment_url, "url"));
    let post_url = first(&p.post_url, "url").or_else(|| {
        comment_url
            .as_deref()
            .map(|u| u.split('#').next().unwrap_or(u).to_string())
    });
    // (Known before the parent: "Reply to Iris Penhallow: reply to this
    // email" names the author, not a parent.)
    let parent_name = parent_name(p, &[msg.subject.as_str(), text], author.as_ref());
    let name = author.as_ref().map(|a| a.name.as_str());
    let post_title = first(&p.title, "title");
    // Where a platform's mail does not look as its entry says (another
    // version, another template), its words are read as an unknown
    // platform's would be.
    let mut words_read = words(p, text, name, post_title.as_deref());
    if let Some(generic) = generic().filter(|g| !std::ptr::eq(*g, p))
        && words_read.is_empty()
    {
        words_read = words(generic, text, name, post_title.as_deref());
    }
    let notice = Notice {
        platform: p.name.clone(),
        kind: Some(kind),
        to_owner: matched.is_some_and(|k| k.3),
        author,
        post_title,
        post_url,
        comment_url,
        // "In reply to: <link>" too.
        parent_url: first(&p.parent_url, "url").or_else(|| first(&generic()?.parent_url, "url")),
        // "In reply to Chidi Okafor (comment #48213):" reads alike on every
        // platform: the generic entry's patterns serve those without their own.
        parent_name,
        moderation_url: first(&p.moderation_url, "url"),
        words: words_read,
    };
    tracing::trace!("platform {}: {:?}", p.id, notice.kind);
    Some(notice)
}

/// "Imogen Farrant <imogen@example>": a name line with its address, apart.
fn with_address(n: &str) -> Option<(String, String)> {
    let (before, after) = n.split_once('<')?;
    let (addr, _) = after.split_once('>')?;
    addr.contains('@')
        .then(|| (before.trim().to_string(), addr.trim().to_ascii_lowercase()))
}

/// A commenter as a notice's line names them: the name, and the address
/// the line gives too; `None` when the line names no one.
fn commenter(n: &str) -> Option<(String, Option<String>)> {
    let n = bare_name(n);
    let (name, addr) = match with_address(&n) {
        Some((name, addr)) => (name, Some(addr)),
        None => (n, None),
    };
    (!name.is_empty() || addr.is_some()).then_some((name, addr))
}

/// The first of `patterns` that names a person in one of `texts` (a
/// capture that names no one, "Someone just", does not count).
fn first_commenter(patterns: &[Regex], texts: &[&str]) -> Option<(String, Option<String>)> {
    patterns.iter().find_map(|r| {
        texts.iter().find_map(|t| {
            r.captures(t)
                .and_then(|c| c.name("name"))
                .and_then(|m| commenter(m.as_str().trim()))
        })
    })
}

/// A name as a notice's line writes it, without what follows it there
/// ("Giulia Bassi  ↪ in risposta a Marco": a mark, or two spaces) and a
/// form's leader dots ("Nota di ..... Giulia Serra").
fn bare_name(n: &str) -> String {
    let n = n.split(['↪', '↳', '→']).next().unwrap_or(n);
    // A heading's or emphasis's marks ("# Someone just").
    let n = n.trim_start_matches(['#', '*', ' ']);
    // A badge after the name: "Ines Kaldera (admin)", "**Tamsin K.** (TK):".
    let n = match n
        .trim_end()
        .trim_end_matches(':')
        .strip_suffix(')')
        .and_then(|r| r.rsplit_once(" ("))
    {
        Some((name, badge)) if !badge.is_empty() && badge.chars().all(char::is_alphabetic) => name,
        _ => n,
    };
    let n = n.split("  ").next().unwrap_or(n);
    // "Someone just commented": no one named.
    let first = n.split_whitespace().next().unwrap_or("").to_lowercase();
    if crate::lang::WORDS.asks.group_pronouns.contains(&first) {
        return String::new();
    }
    n.trim_matches(['.', '…', ':', ' ', '*']).to_string()
}

/// The commenter a reply names as the one it answers: by the platform's
/// patterns, else the generic entry's ("In reply to Chidi Okafor (comment
/// #48213):" reads alike on every platform). Never the comment's own
/// author: "Reply to Priya Lal: reply to this email" is a footer about
/// answering her, not the comment she answered.
fn parent_name(p: &Platform, texts: &[&str], author: Option<&Address>) -> Option<String> {
    // A person's name: a few words, no digits ("in response to Ep. 48 –
    // Women on the farm:" names the post, not a commenter); or a handle,
    // one word that may have them ("operafan1966").
    let handle = |n: &str| {
        !n.contains(char::is_whitespace) && n.chars().next().is_some_and(char::is_alphabetic)
    };
    let not_author = |n: &str| {
        author.is_none_or(|a| a.name.is_empty() || !a.name.eq_ignore_ascii_case(n))
            && !n.contains("://")
            && n.split_whitespace().count() <= 4
            && (handle(n) || !n.chars().any(|c| c.is_ascii_digit()))
    };
    let generic = generic().map_or(&[][..], |g| &g.parent_name[..]);
    p.parent_name.iter().chain(generic).find_map(|r| {
        texts.iter().find_map(|t| {
            r.captures_iter(t)
                .filter_map(|c| c.name("name"))
                .map(|m| m.as_str().trim())
                .find(|v| !v.is_empty() && not_author(v))
                .map(str::to_string)
        })
    })
}

/// The catalogue's entry that knows an unlisted platform's notice by its
/// form alone.
fn generic() -> Option<&'static Platform> {
    COMPILED
        .platforms
        .iter()
        .find(|g| g.by_notice && g.id == "generic")
}

impl Platform {
    /// The line (trimmed) ends the person's words.
    fn ends_words(&self, t: &str) -> bool {
        self.until.iter().any(|r| r.is_match(t))
    }

    /// The line (trimmed) is the platform's own, among the words.
    fn skips(&self, t: &str) -> bool {
        self.skip.iter().any(|r| r.is_match(t))
    }

    /// Its pattern lists that are built on first use, each by its field's
    /// name (tests: every one builds; what each holds).
    #[cfg(test)]
    fn pattern_lists(&self) -> impl Iterator<Item = (&'static str, &Patterns)> {
        let fields = [
            ("author", &self.author),
            ("email", &self.email),
            ("title", &self.title),
            ("post_url", &self.post_url),
            ("comment_url", &self.comment_url),
            ("parent_url", &self.parent_url),
            ("parent_name", &self.parent_name),
            ("moderation_url", &self.moderation_url),
            ("after", &self.after),
            ("until", &self.until),
            ("skip", &self.skip),
        ];
        let notices = self
            .notices
            .iter()
            .flat_map(|(_, s, b, _)| [("notice subject", s), ("notice body", b)]);
        fields.into_iter().chain(notices)
    }

    /// The first of its notices whose subject or body pattern matches (one
    /// with no pattern matches any mail of the platform).
    fn notice_in(&self, subject: &str, text: &str) -> Option<&(Kind, Patterns, Patterns, bool)> {
        self.notices.iter().find(|(_, subjects, bodies, _)| {
            (subjects.is_empty() && bodies.is_empty())
                || subjects.iter().any(|r| r.is_match(subject))
                || bodies.iter().any(|r| r.is_match(text))
        })
    }
}

/// The person's words: from after the `after` line to before the `until`
/// line, without the platform's own lines (and its `>` quoting, where it
/// quotes them). Without an `after` line, from the top. A notice that shows
/// no `after` line (another version of the template) may show the
/// commenter's `name` on a line of its own above the words: from there,
/// to any platform's end of the words (the generic entry's `until` too).
fn words(p: &Platform, text: &str, name: Option<&str>, post_title: Option<&str>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut start = 0;
    let mut first_rest = None;
    let mut until_generic = false;
    if !p.after.is_empty() {
        let is_after = |l: &&str| p.after.iter().any(|r| r.is_match(l.trim()));
        let found = if p.last {
            lines.iter().rposition(is_after)
        } else {
            lines.iter().position(is_after)
        };
        let by_name = || {
            let name = name.map(str::trim).filter(|n| n.chars().count() >= 3)?;
            lines
                .iter()
                .position(|l| name_line(l.trim(), name) || spoken_by(l.trim(), name).is_some())
        };
        // Or a heading over the parent's words ("Your comment:"): the
        // words follow that block, quoted or not.
        let heading = || lines.iter().position(|l| parent_heading(l.trim()));
        let at = match found.or_else(|| {
            let i = by_name()?;
            until_generic = true;
            Some(i)
        }) {
            Some(i) => Some(i),
            None => match heading() {
                Some(h) => return words_after_parent(&lines[h..]),
                // The words open the text.
                None if p.top => None,
                None => return String::new(),
            },
        };
        if let Some(i) = at {
            start = i + 1;
            // "Comment: the words" keeps what follows the label.
            let l = lines[i].trim();
            first_rest = p
                .after
                .iter()
                .find_map(|r| r.find(l))
                .map(|m| l[m.end()..].trim())
                .filter(|r| !r.is_empty() && !p.title_first)
                .or_else(|| spoken_by(l, name?));
        }
    }
    let mut out = String::new();
    if let Some(r) = first_rest {
        out.push_str(r);
        out.push('\n');
    }
    // Words found by the name end, and skip lines, as any platform's do.
    let also = if until_generic { generic() } else { None };
    let mut title = p.title_first;
    // Words opened by a rule line ("::", "---") end at the same line.
    let mut rule: Option<&str> = None;
    // The quoted lines and the others, apart.
    let (mut quoted_parent, mut own) = (String::new(), String::new());
    // "In reply to Giulia:" and the parent's words indented under it.
    let mut parent = ParentBlock::default();
    // Below the owner's comment under its heading, the reader's byline
    // opens the reader's words.
    let mut below_parent = false;
    for l in &lines[start..] {
        let t = l.trim();
        below_parent |= parent_heading(t);
        if parent.skips(l) {
            continue;
        }
        if below_parent && p.byline.iter().any(|r| r.is_match(t)) {
            below_parent = false;
            out.clear();
            own.clear();
            quoted_parent.clear();
            continue;
        }
        // "Treść komentarza:" then a rule line: a heading over the words,
        // in a language no pattern knows; or the notice's fields above them
        // ("E-mail: ...", "Időpont: ...", "Hozzászólás:").
        let heading_only = || {
            let o = out.trim();
            let last = o.lines().last().unwrap_or("");
            o.ends_with(':')
                && last.split_whitespace().count() <= 4
                && o.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .all(|l| l == last.trim() || field_line(l))
        };
        // "Autor: X", its fields, then "----- Text komentáře -----": a
        // second line that heads the words, below fields only (or nothing
        // but skipped lines: "Scris de: X", "Data: ..."), heads them.
        let fields_only = || {
            out.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .all(field_line)
        };
        // A line with words after its label ("@robin: could you cover
        // ...?") is the words, not their heading.
        let heads = || {
            p.after.iter().filter_map(|r| r.find(t)).any(|m| {
                let rest = t[m.end()..].trim();
                rest.is_empty()
                    || rest.split_whitespace().count() <= 4 && !rest.ends_with(['.', '!', '?', '…'])
            })
        };
        if rule.is_none()
            && (out.trim().is_empty() || fields_only())
            && !t.is_empty()
            && !p.skips(t)
            && heads()
        {
            out.clear();
            own.clear();
            continue;
        }
        // Fields above a rule ("Autor komentara: X", "Objavljeno: ...",
        // then ────) head the words below it; a form's "Message: ..."
        // field opens the words itself.
        let fields_above = || {
            fields_only()
                && !out.lines().map(str::trim).any(|l| {
                    let l = l.to_lowercase();
                    crate::lang::WORDS
                        .forms
                        .message_fields
                        .iter()
                        .any(|f| l.starts_with(f.as_str()))
                })
        };
        if rule.is_none()
            && is_rule_line(t)
            && (out.trim().is_empty() || heading_only() || fields_above())
        {
            out.clear();
            own.clear();
            rule = Some(t);
            continue;
        }
        if rule == Some(t) || p.ends_words(t) || also.is_some_and(|g| g.ends_words(t)) {
            break;
        }
        // The lines any platform writes among the words ("Your comment:
        // ...", "Replied to X") are skipped whatever the platform.
        if p.skips(t)
            || link_line(t)
            || generic().is_some_and(|g| !std::ptr::eq(g, p) && g.skips(t))
        {
            continue;
        }
        // "Felix Obermann: \"Fair, but ...\"": the words after their speaker.
        let spoken = name.and_then(|n| spoken_by(t, n));
        let t = spoken.unwrap_or(t);
        // The post's title opens the notice, or closes the words in
        // quotation marks ("Great piece. ..." then "“The curb is ...”"):
        // a short line either way; a paragraph is the words.
        let short = t.split_whitespace().count() <= 16;
        if title && !t.is_empty() {
            title = false;
            if short {
                continue;
            }
        }
        let quoted_line = |t: &str| t.starts_with(['"', '“', '«']) && t.ends_with(['"', '”', '»']);
        if p.title_first && !out.is_empty() && short && quoted_line(t) {
            continue;
        }
        // A box the platform draws around the words ("│ words").
        let boxed = t.starts_with(['│', '┃']);
        let t = t.trim_start_matches(['│', '┃']).trim_start();
        let quoted = t.strip_prefix('>');
        match quoted {
            Some(rest) => {
                quoted_parent.push_str(rest);
                quoted_parent.push('\n');
            }
            // A short line without a sentence's end above the quoted
            // words heads them (the post's title where no field found it).
            None if quoted_parent.is_empty() && heading_like(t) => {}
            None => {
                own.push_str(t.trim_matches('*'));
                own.push('\n');
            }
        }
        let bare = match quoted {
            Some(rest) if p.unquote || p.title_first => rest.trim_start(),
            _ if p.title_first => t.trim_matches(['"', '“', '”', '«', '»']),
            _ if boxed || spoken.is_some() => t,
            _ => l.trim_end(),
        };
        // Emphasis an HTML part put around the words ("*words*").
        let bare = bare.trim_matches('*');
        out.push_str(bare);
        out.push('\n');
    }
    // "Walt Becker:" on a line of its own: the words are what follows it.
    if let Some(name) = name.map(str::trim).filter(|n| n.chars().count() >= 3) {
        let label = |l: &str| {
            l.trim()
                .trim_matches('*')
                .strip_suffix(':')
                .is_some_and(|n| n.trim_matches('*').eq_ignore_ascii_case(name))
        };
        if let Some(at) = out.lines().position(label) {
            out = out.lines().skip(at + 1).collect::<Vec<_>>().join("\n");
        }
    }
    // A name line with no words below it is the commenter signing off:
    // the words were above it, not found so.
    let prose = |l: &str| l.split_whitespace().count() >= 3 && !l.contains("://");
    if until_generic && !out.lines().any(prose) {
        return String::new();
    }
    // A platform that quotes the comment shows a reply's parent so too,
    // above the reply's own lines: then the quoted lines are the parent's.
    // Unless those are only the post's title and the commenter's name
    // (or none, headings above the quote left out): then the quoted lines
    // are the words.
    if p.unquote && !quoted_parent.is_empty() {
        let title = post_title.map(|t| t.trim().trim_matches(['"', '“', '”']));
        let said = own.lines().map(str::trim).any(|l| {
            !l.is_empty()
                && title.is_none_or(|t| l.trim_matches(['"', '“', '”']) != t)
                && name.is_none_or(|n| !name_line(l, n))
        });
        return if said {
            own.trim()
        } else {
            quoted_parent.trim()
        }
        .to_string();
    }
    // Words all quoted: the platform quotes the comment it tells of.
    let lines = || out.lines().map(str::trim).filter(|l| !l.is_empty());
    if lines().next().is_some() && lines().all(|l| l.starts_with('>')) {
        return lines()
            .map(|l| l.trim_start_matches('>').trim_start())
            .collect::<Vec<_>>()
            .join("\n");
    }
    dedent(&out).trim().to_string()
}

/// A notice's field: a label of at most three words and its value
/// ("E-mail: klaus@x.example", "Komentář č.: 5521").
fn field_line(l: &str) -> bool {
    l.split_once(':').is_some_and(|(label, value)| {
        label.split_whitespace().count() <= 3 && !value.trim().is_empty()
    })
}

/// The words without the indent the platform sets every line of them in
/// ("    Muy útil la lista..."): indented lines read as code, and a
/// comment set off so is prose. Deeper lines keep what is beyond it.
fn dedent(text: &str) -> String {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let common = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(indent)
        .min()
        .unwrap_or(0);
    if common == 0 {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for l in text.lines() {
        out.push_str(l.get(common.min(indent(l))..).unwrap_or(l));
        out.push('\n');
    }
    out
}

/// A notice's whole text, where its words were not found, without the
/// lines any platform writes among them (the generic entry's `skip`:
/// "Replied to X", "Your comment: the owner's own words").
pub(crate) fn without_platform_lines(text: &str) -> String {
    let Some(g) = generic() else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for l in text.lines() {
        if !g.skips(l.trim()) {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// A heading over the parent comment's words and the block under it
/// (quoted or indented, to the first blank line after it).
#[derive(Default)]
struct ParentBlock {
    inside: bool,
    seen: bool,
}

impl ParentBlock {
    /// Is `line` the heading or part of its block?
    fn skips(&mut self, line: &str) -> bool {
        let t = line.trim();
        if self.inside {
            if t.is_empty() {
                self.inside = !self.seen;
                return true;
            }
            if line.starts_with([' ', '\t']) || t.starts_with(['>', '¦', '│']) {
                self.seen = true;
                return true;
            }
            self.inside = false;
        }
        if parent_heading(t) {
            *self = ParentBlock {
                inside: true,
                seen: false,
            };
            return true;
        }
        false
    }
}

/// A heading rather than words: at most 16 words, ending without a
/// sentence's mark ("Crux Notes #43: Repeaters, max hangs").
fn heading_like(t: &str) -> bool {
    let t = t.trim_matches(['*', ' ']);
    t.split_whitespace().count() <= 16
        && !t.ends_with(['.', '!', '?', '…', ')', '"', '”', '»', ':', ';'])
}

/// The words below a heading over the parent's ("Your comment:" and its
/// quote, then the reply, which a platform may quote too), to any
/// platform's end of the words.
fn words_after_parent(lines: &[&str]) -> String {
    let mut parent = ParentBlock::default();
    let Some(g) = generic() else {
        return String::new();
    };
    let mut out = String::new();
    for l in lines {
        if parent.skips(l) {
            continue;
        }
        let t = l.trim();
        if g.ends_words(t) {
            break;
        }
        if g.skips(t) || link_line(t) {
            continue;
        }
        out.push_str(t.strip_prefix('>').map_or(t, str::trim_start));
        out.push('\n');
    }
    out.trim().to_string()
}

/// "In reply to Giulia Ferrante:", "En réponse à Jo :": a line naming
/// the parent comment (by the generic entry's `parent_name`), over its words.
fn parent_heading(t: &str) -> bool {
    t.ends_with(':') && generic().is_some_and(|g| g.parent_name.iter().any(|r| r.is_match(t)))
}

/// The commenter's line above their words: the name alone or with a
/// colon, or with the handle or date the platform puts beside it
/// ("Gwen Lathbury (@gwen)", "Gwen Lathbury · 2h").
fn name_line(line: &str, name: &str) -> bool {
    let line = line.trim_start_matches('*');
    let Some(head) = line.get(..name.len()) else {
        return false;
    };
    let rest = line[name.len()..].trim_start_matches('*').trim_start();
    head.eq_ignore_ascii_case(name)
        && (rest.is_empty() || rest == ":" || rest.starts_with(['(', '@', '·', '•', '|']))
}

/// "Rocío Albarracín: Ines, me encantaría ...": a line of words opened by
/// their speaker's name; the words, without quotation marks round them.
fn spoken_by<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let head = line.get(..name.len())?;
    let rest = line[name.len()..].trim_start().strip_prefix(':')?.trim();
    if !head.eq_ignore_ascii_case(name) || rest.split_whitespace().count() < 3 {
        return None;
    }
    let unquoted = [('"', '"'), ('“', '”'), ('«', '»'), ('„', '“')]
        .iter()
        .find_map(|(open, close)| rest.strip_prefix(*open)?.strip_suffix(*close));
    Some(unquoted.unwrap_or(rest).trim())
}

/// An address that routes a reply back into a platform, not a person's:
/// "reply+n-a7f3c2@in.notes.example", "noreply@...", "reply-4f2e1d@...".
fn routed_reply(addr: &str) -> bool {
    let local = addr.split('@').next().unwrap_or("").to_ascii_lowercase();
    let token = |t: &str| t.len() >= 6 && t.chars().any(|c| c.is_ascii_digit());
    [
        "reply+",
        "reply-",
        "noreply",
        "no-reply",
        "do-not-reply",
        "donotreply",
    ]
    .iter()
    .any(|p| local.starts_with(p))
        || local.split_once('+').is_some_and(|(_, t)| token(t))
}

/// A short line of punctuation alone ("::", "---", "~~~"), drawn round words.
fn is_rule_line(t: &str) -> bool {
    let n = t.chars().count();
    let first = t.chars().next().unwrap_or(' ');
    let drawn = n <= 8 || n <= 80 && t.chars().all(|c| c == first);
    // Drawn with ASCII punctuation or with a dash or box-drawing line
    // ("――――", "────").
    let line = |c: char| {
        c.is_ascii_punctuation() || matches!(c, '\u{2012}'..='\u{2015}' | '\u{2500}'..='\u{257F}')
    };
    n >= 2 && drawn && t.chars().all(line)
}

/// A line that is only a link, as HTML parts read as text write them:
/// "[View comment][2]", "[2]: https://...".
fn link_line(t: &str) -> bool {
    let footnote = t.starts_with('[')
        && t.find("]: ")
            .is_some_and(|i| t[1..i].chars().all(|c| c.is_ascii_digit()));
    let label = t.starts_with('[') && t.ends_with(']') && t.contains("][");
    footnote || label
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_line_gives_its_address_and_ends_at_a_reply_mark() {
        assert_eq!(
            with_address("Imogen Farrant <imogen@x.example>"),
            Some(("Imogen Farrant".to_string(), "imogen@x.example".to_string()))
        );
        assert_eq!(with_address("Imogen Farrant"), None);
        assert_eq!(
            bare_name("Giulia Bassi  ↪ in risposta a Marco Tellini"),
            "Giulia Bassi"
        );
        assert_eq!(
            bare_name("Nota di ..... Giulia Serra"),
            "Nota di ..... Giulia Serra"
        );
        assert_eq!(bare_name("..... Giulia Serra"), "Giulia Serra");
        // "Someone just commented": no one is named.
        assert_eq!(bare_name("Someone just"), "");
    }

    #[test]
    fn a_platforms_reply_address_is_not_a_persons_and_rule_lines_are_short_punctuation() {
        for a in [
            "reply+n-a7f3c2@in.notes.example",
            "noreply@x.example",
            "comments+4f2e1d9@x.example",
        ] {
            assert!(routed_reply(a), "{a}");
        }
        for a in [
            "kai@oettinger.example",
            "kai+news@x.example",
            "replying.kai@x.example",
        ] {
            assert!(!routed_reply(a), "{a}");
        }
        assert!(
            is_rule_line("::")
                && is_rule_line("---")
                && !is_rule_line("-")
                && !is_rule_line(":: a")
                && is_rule_line("\u{2015}\u{2015}\u{2015}\u{2015}")
                && is_rule_line("\u{2500}\u{2500}\u{2500}")
                && !is_rule_line("\u{2015} a")
        );
    }

    #[test]
    fn the_catalogue_compiles_and_names_every_platform_once() {
        let c = compile(CATALOGUE).unwrap();
        assert!(c.platforms.len() >= 15, "{}", c.platforms.len());
        // Every pattern builds (they are built when first used).
        for p in &c.platforms {
            for (_, list) in p.pattern_lists() {
                assert_eq!(list.len(), list.sources.len(), "{}", p.id);
            }
        }
        let mut ids: Vec<&str> = c.platforms.iter().map(|p| p.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate platform ids");
        assert_eq!(c.platforms.last().map(|p| p.id.as_str()), Some("generic"));
    }

    #[test]
    fn a_parent_is_named_by_its_reply_line_or_subject_never_by_a_footer() {
        let parent =
            |raw: &str| notice(&crate::message::parse(raw.as_bytes())).and_then(|n| n.parent_name);
        // "Reply to this email with your comment" names no one.
        let comment = "From: Disqus <notifications@disqus.example>\nSubject: New comment on Ep. 4\n\nJo Park wrote, on Ep. 4:\n\nWhich map app was it?\n\n---\nReply to this email with your comment, or visit the discussion:\nhttps://x.example/ep4/#disqus_thread\n";
        assert_eq!(parent(comment), None);
        let by_line = "From: Disqus <notifications@disqus.example>\nSubject: New comment on Ep. 4\n\nRobin Ellis (moderator), in reply to Jo Park:\n\n> Which map app was it?\n\nIt was the paid one.\n";
        assert_eq!(parent(by_line).as_deref(), Some("Jo Park"));
        let by_subject = "From: Disqus <notifications@disqus.example>\nSubject: Robin Ellis replied to Jo Park on Ep. 4\n\nIt was the paid one.\n";
        assert_eq!(parent(by_subject).as_deref(), Some("Jo Park"));
    }

    #[test]
    fn an_unknown_platform_in_an_unlisted_language_is_known_by_its_comment_word() {
        // A Finnish notice: "comment" in most European languages shares its
        // stem; the words sit between rule lines, the author under a label.
        let raw = "From: Viestiketju <ilmoitukset@viestiketju.example>\nSubject: Uusi kommentti: \u{201d}Vanhat ikkunat\u{201d}\nList-Unsubscribe: <https://viestiketju.example/peru>\n\nHei Ottilie,\n\nKirjoittaja: Aino Lehtisalo\nL\u{e4}hetetty: 24.2.2025 klo 21.14\n\n----------------------------------------\nWould you write more about re-leading windows?\n----------------------------------------\n\nVastaa: https://x.example/a#kommentti-2291\n";
        let n = notice(&crate::message::parse(raw.as_bytes())).expect("a notice");
        assert_eq!(n.kind, Some(Kind::Comment));
        assert_eq!(n.author.map(|a| a.name).as_deref(), Some("Aino Lehtisalo"));
        assert_eq!(n.words, "Would you write more about re-leading windows?");
        // A person's mail whose subject only says "comment" is not a notice.
        let mail = "From: Aino <aino@x.example>\nSubject: A comment on your talk\n\nLoved it.\n";
        assert!(notice(&crate::message::parse(mail.as_bytes())).is_none());
    }

    #[test]
    fn a_swedish_notice_with_its_titles_guillemets_and_a_line_drawn_with_dashes() {
        let comment = "From: Tyckotek <notiser@tyckotek.example>\nSubject: Ny kommentar p\u{e5} \u{bb}Tunn pl\u{e5}t\u{ab}\nAuto-Submitted: auto-generated\n\nHej Tamsin!\n\nLars-Erik Wallin har skrivit en ny kommentar p\u{e5} din text \u{bb}Tunn pl\u{e5}t\u{ab}.\n\n\u{2015}\u{2015}\u{2015}\u{2015}\u{2015}\u{2015}\nI'd love your take on TIG versus MIG for thin panels.\n\u{2015}\u{2015}\u{2015}\u{2015}\u{2015}\u{2015}\n\nSvara: https://x.example/tunn#tk-55812\n";
        let n = notice(&crate::message::parse(comment.as_bytes())).expect("a notice");
        assert_eq!(n.kind, Some(Kind::Comment));
        assert_eq!(
            n.author.map(|a| a.name).as_deref(),
            Some("Lars-Erik Wallin")
        );
        assert_eq!(n.post_title.as_deref(), Some("Tunn pl\u{e5}t"));
        assert_eq!(
            n.words,
            "I'd love your take on TIG versus MIG for thin panels."
        );
        let own = "From: Tyckotek <notiser@tyckotek.example>\nSubject: Ditt svar har publicerats\n\nHej Tamsin!\n\nDitt svar:\n\u{2015}\u{2015}\u{2015}\u{2015}\nThanks Lars-Erik!\n\u{2015}\u{2015}\u{2015}\u{2015}\n\nVisa: https://x.example/tunn#tk-55840\n";
        let n = notice(&crate::message::parse(own.as_bytes())).expect("a notice");
        assert_eq!(n.kind, Some(Kind::Own));
    }

    #[test]
    fn a_notice_whose_noun_comes_before_new_and_an_own_reply_naming_its_parent_by_byline() {
        // Romanian order: "Comentariu nou la „X”", the words under a
        // heading "----- Comentariu -----", the commenter on "Scris de:".
        let comment = "From: Taifas <notificari@taifas.example>\nSubject: Comentariu nou la \u{201e}Cum c\u{103}l\u{103}torim\u{201d}\n\nBun\u{103} ziua!\n\nAi primit un comentariu nou pe Agility, la articolul:\n\u{201e}Cum c\u{103}l\u{103}torim\u{201d}\nhttps://agility.example/articole/cum\n\nScris de: Ioana Petrescu (ioana@x.example)\nData: 4 martie 2025, 23:17\n\n----- Comentariu -----\n\u{bf}Podr\u{ed}as escribir sobre las jaulas de transporte?\n-----------------------\n\nR\u{103}spunde: https://taifas.example/c/8842-ab31/raspunde\n";
        let n = notice(&crate::message::parse(comment.as_bytes())).expect("a notice");
        assert_eq!(n.kind, Some(Kind::Comment));
        assert_eq!(n.author.map(|a| a.name).as_deref(), Some("Ioana Petrescu"));
        assert_eq!(n.post_title.as_deref(), Some("Cum c\u{103}l\u{103}torim"));
        assert_eq!(
            n.words,
            "\u{bf}Podr\u{ed}as escribir sobre las jaulas de transporte?"
        );
        // "Răspunsul tău ... a fost publicat": the owner's reply, to the
        // comment "scris de" (written by) Ioana Petrescu.
        let own = "From: Taifas <notificari@taifas.example>\nSubject: R\u{103}spunsul t\u{103}u a fost publicat: \u{201e}Cum c\u{103}l\u{103}torim\u{201d}\n\nR\u{103}spunsul t\u{103}u la comentariul scris de Ioana Petrescu a fost publicat.\n\nComentariul ini\u{21b}ial (Ioana Petrescu, 4 martie 2025, 23:17)\nhttps://taifas.example/c/8842-ab31\n> \u{bf}Podr\u{ed}as escribir sobre las jaulas?\n\nR\u{103}spunsul t\u{103}u:\n\u{a1}Hola Ioana! S\u{ed}, est\u{e1} en mi lista.\n\nVezi conversa\u{21b}ia: https://taifas.example/c/8842-ab31#r-8853-c07e\n";
        let n = notice(&crate::message::parse(own.as_bytes())).expect("a notice");
        assert_eq!(n.kind, Some(Kind::Own));
        assert_eq!(n.parent_name.as_deref(), Some("Ioana Petrescu"));
        assert_eq!(n.post_title.as_deref(), Some("Cum c\u{103}l\u{103}torim"));
    }

    #[test]
    fn a_danish_notice_with_its_dated_byline_and_the_owners_reply_naming_comment_and_commenter() {
        let comment = "From: Snakkeboble <besked@snakkeboble.example>\nSubject: Ny kommentar til \u{bb}M\u{e5}nedens maskine\u{ab}\n\nHej Tamsin,\n\nDer er kommet en ny kommentar til din artikel:\n\u{bb}M\u{e5}nedens maskine\u{ab}\n\nGiulia Ricci skrev s\u{f8}ndag d. 22. september 2024 kl. 10:14:\n\n  Mi piacerebbe un articolo sulla demoscene.\n\nKommentar nr. 88213\nSvar p\u{e5} kommentaren: https://h.example/a/maskine#snak-88213\n";
        let n = notice(&crate::message::parse(comment.as_bytes())).expect("a notice");
        assert_eq!(n.kind, Some(Kind::Comment));
        assert_eq!(n.author.map(|a| a.name).as_deref(), Some("Giulia Ricci"));
        assert!(
            n.words
                .starts_with("Mi piacerebbe un articolo sulla demoscene."),
            "{}",
            n.words
        );
        let own = "From: Snakkeboble <besked@snakkeboble.example>\nSubject: Dit svar er offentliggjort\n\nHej Tamsin,\n\nDit svar er nu offentliggjort under artiklen \u{bb}M\u{e5}nedens maskine\u{ab}.\n\nDu svarede p\u{e5} kommentar nr. 88213 fra Giulia Ricci:\n  \u{bb}Mi piacerebbe un articolo ...\u{ab}\n\nDit svar:\n  Grazie Giulia!\n\nSe tr\u{e5}den: https://h.example/a/maskine#snak-88240\n";
        let n = notice(&crate::message::parse(own.as_bytes())).expect("a notice");
        assert_eq!(n.kind, Some(Kind::Own));
        assert_eq!(n.parent_name.as_deref(), Some("Giulia Ricci"));
        assert_eq!(n.post_title.as_deref(), Some("M\u{e5}nedens maskine"));
    }

    #[test]
    fn a_substack_reply_under_the_owners_comment_starts_at_the_readers_byline() {
        let reply = "From: Substack <no-reply@substack.example>\nSubject: Dale Whitlock replied to your comment on Bank Switch #42\n\nDale Whitlock replied to your comment\n\nYour comment:\n\"Pinning this: reply here with the one topic you'd most like.\"\n\nDale Whitlock - Sep 19\nBuying on auction sites without getting burned!\n\nReply: https://b.substack.example/p/s4/comment/71203817\n";
        let n = notice(&crate::message::parse(reply.as_bytes())).expect("a notice");
        assert_eq!(n.words, "Buying on auction sites without getting burned!");
        // A comment's own line that looks like a byline is words, and so
        // is one that mentions the owner.
        let comment = "From: Substack <no-reply@substack.example>\nSubject: New comment on Bank Switch #42\n\nMarta Vidal commented on your post\n\nMy brother mentioned you in his club talk.\nAtari Falcon - Oct 92\nThat was my first machine. Could you do an episode on it?\n\nReply: https://b.substack.example/p/s4/comment/71203818\n";
        let n = notice(&crate::message::parse(comment.as_bytes())).expect("a notice");
        assert_eq!(
            n.words,
            "My brother mentioned you in his club talk.\nAtari Falcon - Oct 92\nThat was my first machine. Could you do an episode on it?"
        );
    }

    #[test]
    fn a_first_line_with_words_after_its_label_is_words_not_a_heading() {
        let raw = "From: Comments <notify@talk.example>\nSubject: New comment on Ep 12\n\nJo Bloggs commented on Ep 12:\n\n@robin: could you cover the cartridge port next?\n\nView comment: https://talk.example/ep-12#comment-5\n";
        let n = notice(&crate::message::parse(raw.as_bytes())).expect("a notice");
        assert_eq!(n.words, "@robin: could you cover the cartridge port next?");
    }

    #[test]
    fn a_reply_below_the_owners_comment_starts_at_the_readers_name_line() {
        let raw = "From: Squeeze <noreply@squeeze.example>\nSubject: Tomasz Wirth replied to your comment\n\nHey there,\n\nTomasz Wirth replied to your comment on \"Episode 41\".\n\nYour comment:\n\"Thanks Tomasz! Meanwhile: have you tried a longer cowstail?\"\n\nTomasz Wirth:\n\"Tried it on Saturday - it made all the difference. Cheers!\"\n\nView reply: https://squeeze.example/episode-41/#ghost-comments\n---\nDon't want to receive these emails? Manage your email preferences here.\n";
        let n = notice(&crate::message::parse(raw.as_bytes())).expect("a notice");
        assert_eq!(
            n.words,
            "\"Tried it on Saturday - it made all the difference. Cheers!\""
        );
    }

    #[test]
    fn a_notice_in_an_unknown_language_is_known_by_its_commenter_in_quotes_over_ruled_words() {
        let raw = "From: Puhe <ilmoitukset@puhe.example>\nSubject: Uusi viesti\nAuto-Submitted: auto-generated\n\nHei Morwenna,\n\nK\u{e4}ytt\u{e4}j\u{e4} \u{ab}Anna Berg\u{bb} j\u{e4}tti viestin artikkeliin \u{ab}Suuri sali\u{bb}.\n\n\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\nCould you write about lighting big chambers for photos?\n\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\u{2500}\n\nVastaa: https://puhe.example/a/489#v-5521\n";
        let n = notice(&crate::message::parse(raw.as_bytes())).expect("a notice");
        assert_eq!(n.kind, Some(Kind::Comment));
        // A person's mail quoting a title over a ruled passage is none.
        let personal = "From: Jane Reader <jane.reader@mail.example>\nSubject: Blind cave fish\n\nHi Morwenna,\nI loved your piece \"Blind Fish\" last week. This paragraph puzzled me:\n-----\nCave fish lose their eyes within a few thousand generations.\n-----\nCould you write a follow-up on how that was measured?\n";
        assert!(notice(&crate::message::parse(personal.as_bytes())).is_none());
    }

    #[test]
    fn hyvor_names_the_comment_and_its_parent_by_labelled_links() {
        let raw = "From: Hyvor Talk <notifications@talk.hyvor.example>\nSubject: New reply on \"Ep 12\"\n\nDana Holt replied to Lee Park:\n\nThanks, that fixed it.\n\nComment link: https://b.example/ep-12#hyvor-comment-55\nIn reply to Lee's comment: https://b.example/ep-12#hyvor-comment-41\n";
        let n = notice(&crate::message::parse(raw.as_bytes())).expect("a notice");
        assert_eq!(n.platform, "Hyvor Talk");
        assert_eq!(
            n.comment_url.as_deref(),
            Some("https://b.example/ep-12#hyvor-comment-55")
        );
        assert_eq!(
            n.parent_url.as_deref(),
            Some("https://b.example/ep-12#hyvor-comment-41")
        );
        assert_eq!(n.words, "Thanks, that fixed it.");
    }

    #[test]
    fn other_layouts_of_known_platforms_and_fields_above_a_second_heading() {
        let words = |raw: &str| {
            notice(&crate::message::parse(raw.as_bytes()))
                .map(|n| (n.words, n.author.map(|a| a.name)))
        };
        // Ghost: the byline ends in a colon, the words quoted below it.
        let ghost = "From: Ejection Charge <noreply@x.example>\nSubject: New comment on your post: Ep. 57\nContent-Type: text/html\n\n<p>Someone just commented on your post</p><h2>Ep. 57</h2><p><strong>Carmen Ib\u{e1}\u{f1}ez</strong> (c@y.example) left a comment:</p><blockquote><p>\u{bf}Podr\u{ed}as hacer un episodio sobre el doble despliegue?</p></blockquote><p><a href=\"https://x.example/ep-57/#ghost-comments-root\">View comment</a></p><p>Sent from x.example. <a href=\"https://x.example/ghost/#/settings\">settings</a></p>";
        let (w, a) = words(ghost).expect("a notice");
        assert_eq!(
            w,
            "\u{bf}Podr\u{ed}as hacer un episodio sobre el doble despliegue?"
        );
        assert_eq!(a.as_deref(), Some("Carmen Ib\u{e1}\u{f1}ez"));
        // Cusdis: the page and its path, the words, then "by:".
        let cusdis = "From: Cusdis <notification@cusdis.example>\nSubject: New comment on \"Sims\"\n\nNew comment on Sims (/sims):\n\nMe encantar\u{ed}a que escribieras sobre la simulaci\u{f3}n.\n\nby: \u{c1}lvaro Q.\n\nApprove without login: https://cusdis.example/open/approve?token=2a\n";
        let (w, a) = words(cusdis).expect("a notice");
        assert_eq!(
            w,
            "Me encantar\u{ed}a que escribieras sobre la simulaci\u{f3}n."
        );
        assert_eq!(a.as_deref(), Some("\u{c1}lvaro Q"));
        // Czech: the author's label and fields, then a heading over the words.
        let czech = "From: Koment\u{e1}\u{159}n\u{ed}k <upozorneni@komentovnik.example>\nSubject: Nov\u{fd} koment\u{e1}\u{159} u \u{10d}l\u{e1}nku \u{201e}Stavebnice\u{201c}\n\nDobr\u{fd} den, Maren,\n\nAutor: Franz Obermaier\nKoment\u{e1}\u{159} \u{10d}.: 5521\nNaps\u{e1}no: 19. 3. 2025 v 20:02\n\n----- Text koment\u{e1}\u{159}e -----\nK\u{f6}nnten Sie einen Artikel \u{fc}ber Flossenflattern schreiben?\n---------------------------\n\nOdpov\u{11b}d\u{11b}t: https://x.example/clanky/a#k-5521\n";
        let (w, a) = words(czech).expect("a notice");
        assert_eq!(
            w,
            "K\u{f6}nnten Sie einen Artikel \u{fc}ber Flossenflattern schreiben?"
        );
        assert_eq!(a.as_deref(), Some("Franz Obermaier"));
        let own = "From: Koment\u{e1}\u{159}n\u{ed}k <upozorneni@komentovnik.example>\nSubject: Va\u{161}e odpov\u{11b}\u{10f} byla zve\u{159}ejn\u{11b}na\n\nDobr\u{fd} den,\n\n----- Text koment\u{e1}\u{159}e -----\nDanke, Franz!\n-----\n\nZobrazit: https://x.example/clanky/a#k-5530\n";
        assert_eq!(
            notice(&crate::message::parse(own.as_bytes())).and_then(|n| n.kind),
            Some(Kind::Own)
        );
    }

    #[test]
    fn disqus_names_the_commenter_on_the_line_after_the_posts_link() {
        let raw = "From: Rafael Costa via Disqus <notifications@disqus.example>\r\nSubject: [M&M] Re: Sills\r\n\r\nA new comment was posted on M&M\r\n\r\nSills\r\nhttps://x.example/sills/\r\n\r\nRafael Costa\r\nVoc\u{ea} poderia fazer um artigo sobre a troca das soleiras?\r\n\r\nComment ID: 6523318841\r\n\r\nReply to Rafael Costa: https://disqus.example/d/sills/#comment-6523318841\r\n";
        let n = notice(&crate::message::parse(raw.as_bytes())).expect("a notice");
        assert_eq!(n.author.map(|a| a.name).as_deref(), Some("Rafael Costa"));
        assert_eq!(n.parent_name, None);
        assert_eq!(
            n.words,
            "Voc\u{ea} poderia fazer um artigo sobre a troca das soleiras?"
        );
    }

    #[test]
    fn a_named_persons_words_between_two_rule_lines_make_a_notice_in_any_language() {
        // Hungarian: the author's label, the notice's fields, a heading, and
        // the words between rules; no word of any list names a comment.
        let raw = "From: Visszhang <ertesito@visszhang.example>\nSubject: \u{da}j hozz\u{e1}sz\u{f3}l\u{e1}s\n\nKedves Greta!\n\nSzerz\u{151}: Klaus Brenner\nE-mail: klaus@x.example\nId\u{151}pont: 2024. szeptember 20. 11:11\n\nHozz\u{e1}sz\u{f3}l\u{e1}s:\n------------\nK\u{f6}nnten Sie einmal erkl\u{e4}ren, wie man das Segment reinigt?\n------------\n\nV\u{e1}lasz: https://x.example/v/88213\n";
        let n = notice(&crate::message::parse(raw.as_bytes())).expect("a notice");
        assert_eq!(n.kind, Some(Kind::Comment));
        assert_eq!(n.author.map(|a| a.name).as_deref(), Some("Klaus Brenner"));
        assert_eq!(
            n.words,
            "K\u{f6}nnten Sie einmal erkl\u{e4}ren, wie man das Segment reinigt?"
        );
        // A member's sign-up lists fields above one rule line: no words.
        let signup = "From: Ghost <noreply@x.example>\nSubject: New member\n\nYou have a new free member.\n\nName: Eleanor Park\nEmail: e@x.example\nCreated on: 8 Sep 2024\n\n---\n\nSent to imogen@x.example.\n";
        assert!(
            notice(&crate::message::parse(signup.as_bytes()))
                .is_none_or(|n| n.kind != Some(Kind::Comment))
        );
    }

    #[test]
    fn a_comment_set_in_by_an_indent_is_prose_and_its_byline_may_follow_the_notices_fields() {
        // Disqus-like: the post's fields first, then "X wrote, in reply to
        // Y:" and both comments indented; the words lose the indent (an
        // indented line reads as code) and deeper lines keep the rest.
        let raw = "From: Disqus <notifications@disqus.example>\nSubject: New comment on \"Heat\"\n\nA new comment was posted on Stillwater\n\n----\nPost: Heat\nURL: https://x.example/heat/\n\nAilsa Drummond wrote, in reply to Fergus Lyall:\n\n    Thanks Fergus.\n\n    I stop at 19C.\n        (the net comes later)\n\nLink to comment: https://x.example/heat/#comment-2\n";
        let n = notice(&crate::message::parse(raw.as_bytes())).expect("a notice");
        assert_eq!(n.author.map(|a| a.name).as_deref(), Some("Ailsa Drummond"));
        assert_eq!(n.parent_name.as_deref(), Some("Fergus Lyall"));
        assert_eq!(
            n.words,
            "Thanks Fergus.\n\nI stop at 19C.\n    (the net comes later)"
        );
    }

    #[test]
    fn remark42s_reply_words_follow_the_last_byline_even_without_a_space_before_its_link() {
        let raw = "From: Remark42 <remark42@x.example>\nSubject: New comment to your site\n\nNew comment from Sunniva Holm on your site to \u{ab}Bird base\u{bb}\nTomasz Wierzbicki06.09.2024 at 11:20[**Show**][1]\n\nCould you do a post on crease patterns?\n\nSunniva Holm08.09.2024 at 09:02[**Reply**][2]\n\nTomasz, fold the mountains first.\n\nSent to [noor@x.example][3]\n\n[1]: https://x.example/cp/#remark42__comment-1\n[2]: https://x.example/cp/#remark42__comment-2\n";
        let n = notice(&crate::message::parse(raw.as_bytes())).expect("a notice");
        assert_eq!(n.words, "Tomasz, fold the mountains first.");
    }

    #[test]
    fn the_parents_words_are_not_the_replys() {
        let words = |raw: &str| notice(&crate::message::parse(raw.as_bytes())).map(|n| n.words);
        // Quoted under "In reply to X:", above the reply's own lines.
        let quoted = "From: Disqus <notifications@disqus.example>\nSubject: New reply\n\nLorna_B wrote, in reply to operafan1966:\n\n> they should have cancelled\n\nWhat do you think a cover is for?\n\nReply to Lorna_B: https://x.example/#comment-1\n";
        assert_eq!(
            words(quoted).as_deref(),
            Some("What do you think a cover is for?")
        );
        // Indented under the heading.
        let indented = "From: Hyvor Talk <notifications@talk.hyvor.example>\nSubject: New reply on \"Boards\"\n\nStefan replied on \"Boards\"\n\nIn reply to Giulia Ferrante:\n  Mi piacerebbe un approfondimento\n\nGiulia - look for the Z-clips.\n\nView comment: https://x.example/#hyvor-talk-comment-5\n";
        assert_eq!(
            words(indented).as_deref(),
            Some("Giulia - look for the Z-clips.")
        );
        // Where no words are found, the owner's own comment shown inline is not read.
        assert!(
            !without_platform_lines("Chiara replied\nYour comment: Have you ridden it?\nGrazie!\n")
                .contains("ridden")
        );
    }

    #[test]
    fn words_opened_by_their_speakers_name_lose_the_name_and_the_quotation_marks() {
        let name = "Felix Obermann";
        assert_eq!(
            spoken_by("Felix Obermann: \"Fair, but what do you do?\"", name),
            Some("Fair, but what do you do?")
        );
        assert_eq!(spoken_by("Felix Obermann: thanks", name), None);
        assert_eq!(
            spoken_by("Your comment: \"More stems, fewer gadgets.\"", name),
            None
        );
    }

    #[test]
    fn a_badge_or_a_heading_mark_is_no_part_of_a_name_and_long_rules_frame_words() {
        assert_eq!(bare_name("Ines Kaldera (admin)"), "Ines Kaldera");
        assert_eq!(bare_name("# Someone just"), "");
        assert_eq!(bare_name("Stefan Ritter (Duitsland)"), "Stefan Ritter");
        assert!(is_rule_line(&"-".repeat(60)));
        assert!(!is_rule_line("--- words ---"));
        assert!(!is_rule_line(&"-=".repeat(30)));
    }

    #[test]
    fn a_piece_stands_for_its_pattern_and_an_unknown_piece_is_an_error() {
        let pieces = vec![("by".to_string(), "by|von".to_string())];
        assert_eq!(
            with_pieces(r"^\p{Lu}{2,3} {by}\{by} \p{greek}", &pieces).unwrap(),
            r"^\p{Lu}{2,3} (?:by|von)\{by} \p{greek}"
        );
        assert!(with_pieces("{bye}", &pieces).unwrap_err().contains("{bye}"));
        let bad = "[[piece]]\nname = \"a\"\npattern = \"{nme}\"\n[[platform]]\nid = \"x\"\nname = \"X\"\nnotice = []\n";
        assert!(
            compile(bad)
                .err()
                .unwrap()
                .contains("piece a: no piece named {nme}")
        );
    }

    #[test]
    fn globs() {
        assert!(glob("wordpress@*", "wordpress@blog.example"));
        assert!(glob("*@disqus.net", "notifications@disqus.net"));
        assert!(glob("x-disqus-*", "x-disqus-thread"));
        assert!(!glob("*@disqus.net", "a@disqus.net.evil"));
        assert!(glob("*noreply*", "ghost-noreply@x"));
    }
}

#[cfg(test)]
mod show {
    /// The text a platform's words are read from, for writing catalogue
    /// entries: `ALLEARS_SHOW=file.eml cargo test show_text -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn show_text() {
        let Ok(path) = std::env::var("ALLEARS_SHOW") else {
            return;
        };
        for p in path.split(',') {
            let raw = std::fs::read(p).unwrap();
            if std::env::var("ALLEARS_SHOW_MIME").is_ok() {
                let m = mailparse::parse_mail(&raw).unwrap();
                for p in std::iter::once(&m).chain(m.subparts.iter()) {
                    println!(
                        "--- part {}\n{:?}",
                        p.ctype.mimetype,
                        p.get_body().ok().map(|b| b[..b.len().min(300)].to_string())
                    );
                    if let Ok(b) = p.get_body() {
                        println!("--- as text\n{}", crate::message::html_to_text(&b));
                        let lf = b.replace("\r\n", "\n");
                        std::fs::write("/tmp/decoded.html", &lf).unwrap();
                    }
                }
            }
            if std::env::var("ALLEARS_SHOW_HTML").is_ok() {
                let html = std::fs::read_to_string(p).unwrap();
                println!(
                    "--- raw html as text\n{}",
                    crate::message::html_to_text(&html)
                );
            }
            let msg = crate::message::parse(&raw);
            println!("=== {p}\n--- text\n{}", msg.text);
            if let Some(h) = &msg.html {
                println!("--- html\n{}", crate::message::html_to_text(h));
            }
            println!("--- notice\n{:#?}", super::notice(&msg));
        }
    }
}

#[cfg(test)]
mod costs {
    use std::time::{Duration, Instant};

    use regex::Regex;

    /// `pattern` as the regex crate builds it here (its own cache size),
    /// where what it holds can be asked.
    fn built(pattern: &str) -> regex_automata::meta::Regex {
        regex_automata::meta::Regex::builder()
            .configure(
                regex_automata::meta::Config::new()
                    .hybrid_cache_capacity(super::dfa_cache_for(pattern)),
            )
            .build(pattern)
            .unwrap()
    }

    /// What each pattern of the catalogue that is built on first use holds
    /// once built (and kept; the few `also` pairs are built up front):
    /// `cargo test --release pattern_memory -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn pattern_memory() {
        let mut held = Vec::new();
        for p in &super::COMPILED.platforms {
            for (what, list) in p.pattern_lists() {
                for src in &list.sources {
                    held.push((built(src).memory_usage(), &p.id, what, src.as_str()));
                }
            }
        }
        held.sort_by_key(|h| std::cmp::Reverse(h.0));
        let total: usize = held.iter().map(|h| h.0).sum();
        println!(
            "{} patterns hold {:.1} MB built",
            held.len(),
            total as f64 / 1e6
        );
        for (b, id, what, src) in held.iter().take(40) {
            let src: String = src.chars().take(150).collect();
            println!("{:>6} KB {id} {what}: {src}", b >> 10);
        }
    }

    /// What each notice pattern costs on real mail, beside the same pattern
    /// in the regex crate's default 2 MB cache, for keeping the catalogue
    /// cheap: `ALLEARS_COSTS=MAILDIR cargo test --release pattern_costs --
    /// --ignored --nocapture` (the folder's first 5,000 files; all
    /// patterns on all of them, though a known platform's run only on its
    /// own mail). `ALLEARS_COSTS_TRY=FILE` also times other forms of a
    /// pattern, one a line, in caches from 128 KB to 2 MB.
    #[test]
    #[ignore]
    fn pattern_costs() {
        let Ok(dir) = std::env::var("ALLEARS_COSTS") else {
            return;
        };
        let msgs: Vec<_> = crate::classify::mail_under(std::path::Path::new(&dir), 5000)
            .iter()
            .map(|raw| crate::message::parse(raw))
            .collect();
        let time = |r: &Regex, on_subject: bool| -> (Duration, usize) {
            let t = Instant::now();
            let hits = msgs
                .iter()
                .filter(|m| r.is_match(if on_subject { &m.subject } else { &m.text }))
                .count();
            (t.elapsed(), hits)
        };
        let with_cache = |p: &str, bytes: usize| {
            regex::RegexBuilder::new(p)
                .dfa_size_limit(bytes)
                .build()
                .unwrap()
        };
        let mut costs = Vec::new();
        for p in &super::COMPILED.platforms {
            for (kind, subjects, bodies, _) in &p.notices {
                for (on_subject, list) in [(true, subjects), (false, bodies)] {
                    for r in list.iter() {
                        let (took, hits) = time(r, on_subject);
                        let (roomy, roomy_hits) =
                            time(&with_cache(r.as_str(), 2 << 20), on_subject);
                        assert_eq!(hits, roomy_hits);
                        costs.push((took, roomy, &p.id, *kind, hits, r.as_str()));
                    }
                }
            }
        }
        // What each pattern holds: built, and its cache once this mail
        // has run through it (one thread's; each judging thread has one).
        let mut held: Vec<(usize, usize, &str)> = costs
            .iter()
            .map(|c| {
                let r = built(c.5);
                let mut cache = r.create_cache();
                for m in &msgs {
                    r.search_with(&mut cache, &regex_automata::Input::new(&m.text));
                    r.search_with(&mut cache, &regex_automata::Input::new(&m.subject));
                }
                (r.memory_usage(), cache.memory_usage(), c.5)
            })
            .collect();
        held.sort_by_key(|h| std::cmp::Reverse(h.0 + h.1));
        let (built, cached) = held.iter().fold((0, 0), |a, h| (a.0 + h.0, a.1 + h.1));
        println!(
            "{} patterns hold {:.1} MB built and {:.1} MB of cache",
            held.len(),
            built as f64 / 1e6,
            cached as f64 / 1e6
        );
        for (b, c, r) in held.iter().take(15) {
            let r: String = r.chars().take(100).collect();
            println!("{:>7} KB built {:>7} KB cache: {r}", b >> 10, c >> 10);
        }
        costs.sort_by_key(|c| std::cmp::Reverse(c.0));
        let total: Duration = costs.iter().map(|c| c.0).sum();
        println!("{} messages, all notice patterns {total:.2?}", msgs.len());
        for (took, roomy, id, kind, hits, r) in costs.iter().take(15) {
            let r: String = r.chars().take(100).collect();
            println!("{took:>10.2?} (2 MB: {roomy:>9.2?}) {id} {kind:?} {hits} hits: {r}");
        }
        if let Ok(f) = std::env::var("ALLEARS_COSTS_TRY") {
            for p in std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .filter(|l| !l.is_empty())
            {
                for bytes in [128 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20] {
                    let (took, hits) = time(&with_cache(&format!("(?mR){p}"), bytes), false);
                    println!("{took:>10.2?} in {bytes} bytes, {hits} hits: {p}");
                }
            }
        }
    }
}
