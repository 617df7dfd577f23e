//! Judging one message: where it comes from (`source.rs`), whether it asks
//! the owner something (`asks.rs`), and which topics it asks the owner to
//! write about (`topics.rs`).
//!
//! Comes after `message.rs` (parsed mail) and `newtext.rs` (the writer's new
//! text); its result is stored beside the message and later read by
//! `digest.rs`. The order inside: source first (a notification's comment is
//! the text to judge, own and automated mail ask nothing), then the new
//! text, cut at a forwarded message; then [`Place`], what the rules need to
//! know beyond the text (who it is to, whether it answers the owner's own
//! post or their call for topics); then topics, then asks (a topic request
//! asks). Every decision carries the rule that made it and the text it was
//! made on ([`Reason`]), which `allears explain` prints. What depends on
//! other messages (answered, threads, topic groups) is derived over the
//! whole store in `analyze/`.
pub(crate) mod asks;
pub(crate) mod learned;
pub(crate) mod platforms;
pub(crate) mod source;
pub(crate) mod topics;

use serde::{Deserialize, Serialize};

use crate::message::{Address, Message};
use crate::owner::{Names, Owner};

pub(crate) use asks::Ask;

/// The version of the rules: stored judgements made by other rules are
/// judged again (`analyze::ensure_current`). Raise it whenever a change to
/// the rules or to what a [`Classification`] holds can change a judgement.
pub(crate) const RULES_VERSION: u32 = 52;

/// A fixed list of phrases compiled once into one automaton, so a sentence
/// is scanned once for all of them rather than once per phrase (the phrase
/// lists are where classification spends its time).
pub(crate) struct Phrases {
    list: &'static [&'static str],
    automaton: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
    leftmost: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>>,
}

impl Phrases {
    pub const fn new(list: &'static [&'static str]) -> Phrases {
        Phrases {
            list,
            automaton: std::sync::OnceLock::new(),
            leftmost: std::sync::OnceLock::new(),
        }
    }

    /// A DFA: the lists are small (tens to hundreds of phrases), so its
    /// tables stay small, and it scans about twice as fast as the NFA the
    /// crate would pick by default.
    fn build(&self, kind: aho_corasick::MatchKind) -> Option<aho_corasick::AhoCorasick> {
        aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .match_kind(kind)
            .build(self.list)
            .ok()
    }

    fn automaton(&self) -> Option<&aho_corasick::AhoCorasick> {
        self.automaton
            .get_or_init(|| self.build(aho_corasick::MatchKind::Standard))
            .as_ref()
    }

    /// Where in `text` a phrase first starts, and the longest phrase
    /// starting there.
    pub fn leftmost_longest(&self, text: &str) -> Option<(usize, &'static str)> {
        let found = self
            .leftmost
            .get_or_init(|| self.build(aho_corasick::MatchKind::LeftmostLongest))
            .as_ref()
            .map(|ac| {
                ac.find(text)
                    .map(|m| (m.start(), self.list[m.pattern().as_usize()]))
            });
        match found {
            Some(found) => found,
            None => self
                .list
                .iter()
                .filter_map(|c| text.find(c).map(|at| (at, *c)))
                .min_by_key(|&(at, c)| (at, std::cmp::Reverse(c.len()))),
        }
    }

    /// Does `text` contain any of the phrases?
    pub fn any_in(&self, text: &str) -> bool {
        match self.automaton() {
            Some(ac) => ac.is_match(text),
            None => self.list.iter().any(|p| text.contains(p)),
        }
    }

    /// The phrases `text` contains, each once, in the list's order.
    pub fn found_in(&self, text: &str) -> Vec<&'static str> {
        let Some(ac) = self.automaton() else {
            return self
                .list
                .iter()
                .filter(|p| text.contains(**p))
                .copied()
                .collect();
        };
        if !ac.is_match(text) {
            return Vec::new();
        }
        let mut hit = vec![false; self.list.len()];
        for m in ac.find_overlapping_iter(text) {
            hit[m.pattern().as_usize()] = true;
        }
        self.list
            .iter()
            .zip(hit)
            .filter_map(|(p, hit)| hit.then_some(*p))
            .collect()
    }

    /// The first phrase of the list that `text` contains.
    pub fn first_in(&self, text: &str) -> Option<&'static str> {
        self.found_in(text).first().copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Source {
    Comment,
    Pingback,
    List,
    Direct,
    Automated,
    Own,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Comment => "comment",
            Source::Pingback => "pingback",
            Source::List => "list",
            Source::Direct => "direct",
            Source::Automated => "automated",
            Source::Own => "own",
        }
    }
}

/// A source name this allears does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown source `{0}`")]
pub(crate) struct UnknownSource(String);

impl std::str::FromStr for Source {
    type Err = UnknownSource;

    fn from_str(s: &str) -> Result<Source, UnknownSource> {
        Ok(match s {
            "comment" => Source::Comment,
            "pingback" => Source::Pingback,
            "list" => Source::List,
            "direct" => Source::Direct,
            "automated" => Source::Automated,
            "own" => Source::Own,
            _ => return Err(UnknownSource(s.to_string())),
        })
    }
}

/// What kind of decision a [`Reason`] records: the digest, `explain` and
/// the evaluation branch on this, never on the reason's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Rule {
    /// Decided where the message comes from.
    Source(Source),
    /// Decided that it asks the owner something.
    Asks,
    /// Decided that it asks the owner nothing.
    AsksNothing,
    /// Cut quoted history, a signature or a footer, or chose the text to judge.
    NewText,
    /// Found a request for a topic.
    Topic,
    /// Did not look for topic requests.
    NoTopics,
}

impl Rule {
    /// The word `explain` and `messages` print before the rule's words.
    fn prefix(self) -> &'static str {
        match self {
            Rule::Source(s) => s.as_str(),
            Rule::Asks | Rule::AsksNothing => "asks",
            Rule::NewText => "newtext",
            Rule::Topic | Rule::NoTopics => "topic",
        }
    }
}

/// Which rule decided, in words, and on what text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Reason {
    pub rule: Rule,
    /// The rule in words ("asked you directly on Netadmins").
    pub why: String,
    /// The text it decided on, at most 160 bytes.
    pub text: String,
}

impl Reason {
    pub fn new(rule: Rule, why: impl Into<String>, text: impl AsRef<str>) -> Reason {
        let text = text.as_ref().trim();
        let mut end = text.len().min(160);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Reason {
            rule,
            why: why.into(),
            text: text[..end].to_string(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.rule.prefix(), self.why)?;
        if !self.text.is_empty() {
            write!(f, ": {}", self.text)?;
        }
        Ok(())
    }
}

/// Where a message sits: the list, the blog post, the comment; what the digest links to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Context {
    /// RFC 2919 list id (the part in angle brackets), or the list address when there is none.
    pub list_id: Option<String>,
    /// The list's name for people ("Netadmins").
    pub list_name: Option<String>,
    /// RFC 2369 List-Post, as written (may be "NO").
    pub list_post: Option<String>,
    /// Archived-At, or List-Archive.
    pub archive: Option<String>,
    /// The blog post a comment or pingback is on.
    pub post_url: Option<String>,
    pub post_title: Option<String>,
    /// The comment's own permalink.
    pub comment_url: Option<String>,
    /// The comment it answers ("In reply to:").
    pub parent_comment_url: Option<String>,
    /// The commenter a reply names as the one it answers, when the notice
    /// names them rather than linking their comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_author: Option<String>,
    /// The person behind a notification (the commenter), to reply to.
    pub author: Option<Address>,
    /// The comment platform that sent the notification ("Ghost").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// A held comment's approve link (the comment has no public link yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moderation_url: Option<String>,
    /// The comment waits for moderation.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    /// The owner's own message asks readers what to write about.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub call_for_topics: bool,
    /// What other messages told the judgement (see [`Facts`]).
    #[serde(default, skip_serializing_if = "Facts::is_empty")]
    pub facts: Facts,
    /// A comment's words, as the digest shows them (one line, clipped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// The line of a list post's new text that names the owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention: Option<String>,
    /// The site behind a pingback or trackback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<Site>,
    /// Sent through the blog's contact form ([`source::contact_form`]),
    /// found once with the rest of the context.
    #[serde(skip)]
    pub contact_form: bool,
}

/// What other stored messages tell about one message when it is judged:
/// whether it answers one of the owner's messages, or sits under the
/// owner's call for topics. Found over the whole store by
/// `analyze::refresh`, which judges a message again when they change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Facts {
    /// Its parent (In-Reply-To) is one of the owner's stored messages.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parent_is_owners: bool,
    /// A message it replies to, directly or further up, is the owner's call for topics.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub under_owners_call: bool,
    /// Its subject's `[Tag]` heads threads from many senders: a list's tag,
    /// on a post that kept no list header (an mbox export, an archive copy).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub list_tag: bool,
}

impl Facts {
    pub fn is_empty(&self) -> bool {
        *self == Facts::default()
    }
}

/// A site that linked to the owner's post.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Site {
    pub name: String,
    pub url: Option<String>,
}

/// A request for something to write about, reduced to a short phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TopicRequest {
    pub phrase: String,
    /// The asker's own words, the sentence the request came from.
    pub words: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Classification {
    pub source: Source,
    pub asks_owner: bool,
    /// The sentences that ask, for the digest ("the question itself").
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub topics: Vec<TopicRequest>,
    #[serde(default)]
    pub reasons: Vec<Reason>,
    #[serde(default)]
    pub context: Context,
}

/// Judge one message. `sent` says it was found in the owner's sent mail;
/// `facts` is what other messages tell about it; `lessons` what the owner
/// taught (their corrections), applied over the rules last.
pub(crate) fn classify(
    msg: &Message,
    owner: &Owner,
    sent: bool,
    facts: Facts,
    lessons: &learned::Lessons,
) -> Classification {
    judge(msg, owner, sent, facts, lessons, None)
}

/// [`classify`] as an import judges new mail, before the refresh knows any
/// of its [`Facts`]: the subject tags met so far in the import stand in for
/// the refresh's `Facts::list_tag` (see [`source::TagTally`]).
pub(crate) fn classify_in_import(
    msg: &Message,
    owner: &Owner,
    sent: bool,
    lessons: &learned::Lessons,
    tags: &source::TagTally,
) -> Classification {
    judge(msg, owner, sent, Facts::default(), lessons, Some(tags))
}

fn judge(
    msg: &Message,
    owner: &Owner,
    sent: bool,
    facts: Facts,
    lessons: &learned::Lessons,
    tags: Option<&source::TagTally>,
) -> Classification {
    let mut reasons = Vec::new();
    let notice = platforms::notice(msg);
    let mut context = source::context(msg, notice.as_ref());
    context.facts = facts;
    source::tagged_list(msg, &mut context);
    let mut source = source::source(msg, owner, sent, &context, notice.as_ref(), &mut reasons);
    if tags.is_some_and(|t| t.heads_a_list(msg, source)) {
        // Judged as the refresh would judge it again: with the fact from
        // the start.
        reasons.clear();
        context.facts.list_tag = true;
        source::tagged_list(msg, &mut context);
        source = source::source(msg, owner, sent, &context, notice.as_ref(), &mut reasons);
    }
    let body = source::writer_text(msg, source, notice.as_ref(), &context);
    if source == Source::Own {
        // The subject is the owner's words too ("What should a
        // teacher-focused series cover?"), unless it repeats another's.
        let subject = if source::is_reply_subject(&msg.subject) {
            ""
        } else {
            msg.subject.as_str()
        };
        context.call_for_topics = topics::is_owners_call(subject)
            || topics::is_owners_call(&own_words(&crate::newtext::new_text(&body).text));
    }
    if source == Source::Pingback {
        context.site = Some(source::linking_site(msg, &context));
    }
    // Most of a list folder is the list talking to itself. A post that is
    // not to the owner, answers nothing of theirs, sits under no call for
    // topics, and has none of their names or addresses anywhere in its body
    // cannot be for them, whatever its new text turns out to be: it is not
    // read at all (the exact test on the new text follows for the others).
    if source == Source::List && !list_post_may_be_for_owner(msg, owner, &context, &body) {
        reasons.push(Reason::new(
            Rule::AsksNothing,
            "a list post neither to you, nor a reply to you, nor under your call for topics, and without your name or address anywhere: not read",
            "",
        ));
        return Classification {
            source,
            asks_owner: false,
            question: String::new(),
            topics: Vec::new(),
            reasons,
            context,
        };
    }
    let new = crate::newtext::new_text(&body);
    for cut in &new.cuts {
        reasons.push(Reason::new(Rule::NewText, cut.rule, &cut.line));
    }
    match source {
        Source::Comment => context.excerpt = Some(crate::text::clip(&new.text, 200)),
        Source::List => {
            context.mention = new
                .text
                .lines()
                .find(|line| owner.names().named_in_line(line))
                .map(|line| crate::text::clip(line, 200));
        }
        _ => {}
    }
    let text = match bottom_posted(&new.text, &body) {
        Some(below) => {
            reasons.push(Reason::new(
                Rule::NewText,
                "all of it looked quoted; judged the text below the last separator",
                &below,
            ));
            below
        }
        None => own_words(&new.text),
    };
    let place = Place::of(msg, owner, source, &context, &new.quoted);
    // Own, automated and pingback mail neither asks nor requests: its
    // sentences are not even split (but for a mention's words to the
    // owner, "@Tessa Lindqvist, I'd love your take on ..."). Nor is a list
    // post that cannot be for the owner: what it asks or wishes to read, it
    // asks of the list.
    let judged = match source {
        Source::Own | Source::Automated => false,
        Source::Pingback => asks::mentions_owner(&text, &place),
        Source::List if !place.may_be_for_owner(&text.to_lowercase()) => {
            reasons.push(Reason::new(
                Rule::NoTopics,
                "a list post neither to you, nor a reply to you, nor under your call for topics, and without your name: not read for requests",
                "",
            ));
            false
        }
        _ => true,
    };
    let all = if judged { sentences(&text) } else { Vec::new() };
    let mut topics = if judged {
        topics::requests(&all, &place, &mut reasons)
    } else {
        Vec::new()
    };
    // On a list, outside the owner's call for topics, a wish is part of the
    // list's discussion ("I would like to be able to restrict R's memory",
    // "would it be appropriate to issue a warning?"): a subject for the
    // owner only when it asks for writing ("a post on", "could you cover")
    // and asks it of the owner: in the second person, by name, in a post
    // that opens with their name ("Buenos días, Carmen:"), or with a verb
    // of writing ("que escribieras una columna sobre X"), which on a list
    // only the writer is asked for.
    if source == Source::List && !place.call_for_topics {
        topics.retain(|t| {
            let lower = t.words.to_lowercase();
            let why = if !topics::asks_for_writing(&lower) {
                "a wish in a list discussion, not under your call for topics and asking for no writing: not a topic"
            } else if !topics::names_a_subject(&lower) {
                "a wish in a list discussion, not under your call for topics, naming no subject to write about: not a topic"
            } else if !(crate::lang::speaks_to_you(&lower)
                || topics::names_writing(&lower)
                || place.names.word_in(&t.words)
                || place.names.at_mention_in(&t.words)
                || opens_on_owner(&text, &place))
            {
                "a wish in a list discussion, not under your call for topics, and asked of no one in particular: not a topic"
            } else {
                return true;
            };
            reasons.push(Reason::new(Rule::NoTopics, why, &t.words));
            false
        });
    }
    // A form's or template's field ("Does it happen with other
    // episodes? No") asks for no piece, as it asks nothing of the owner.
    if !topics.is_empty() {
        let labels = asks::form_labels(&text);
        topics.retain(|t| {
            // The sentence ends on a field's question (the answer to the
            // field above may lead it, its line break gone).
            let key = asks::label_key(&t.words);
            let label = labels.iter().any(|l| {
                l.chars().any(char::is_alphabetic) && (key == *l || key.ends_with(&format!(" {l}")))
            });
            if label {
                reasons.push(Reason::new(
                    Rule::NoTopics,
                    "a form's or template's field, not a request: not a topic",
                    &t.words,
                ));
            }
            !label
        });
    }
    let ask = asks::asks_owner(&place, &text, &all, &topics, &mut reasons);
    let origin = learned::Origin::of(msg.email_from(), &context);
    let ask = lessons.apply(source, &origin, &all, ask, &mut reasons);
    Classification {
        source,
        asks_owner: ask.asks,
        question: ask.question,
        topics,
        reasons,
        context,
    }
}

/// The cheap test before reading a list post: could anything in it be for
/// the owner? It errs towards yes: the whole body stands in for both the new
/// text and the quote that `Place::of` and `Place::may_be_for_owner` read.
fn list_post_may_be_for_owner(msg: &Message, owner: &Owner, ctx: &Context, body: &str) -> bool {
    let place = Place::of(msg, owner, Source::List, ctx, "");
    let lower = body.to_lowercase();
    // A quote attributed to the owner by address or full name ("On ...,
    // Robin Ellis <robin@...> wrote:") makes it a reply to them.
    place.may_be_for_owner(&lower)
        || topics::call_for_topics_in(&lower)
        || owner.names().full_name_or_address_in(&lower)
}

/// A reply written below an unmarked quote (Outlook's header block, then
/// the writer's text under a "-----" rule) leaves no new text above the
/// quote: a reply says something, so take what follows the last rule.
fn bottom_posted(new_text: &str, body: &str) -> Option<String> {
    if !new_text.trim().is_empty() {
        return None;
    }
    let lines: Vec<&str> = body.lines().collect();
    let rule = lines.iter().rposition(|l| {
        let t = l.trim();
        t.len() >= 3 && t.chars().all(|c| c == '-' || c == '_')
    })?;
    let below = lines[rule + 1..].join("\n");
    let below = own_words(&below);
    (!below.trim().is_empty()).then_some(below)
}

/// The writer's own words: a forwarded message is content the writer passes
/// on, not what they ask, so judging stops at its separator.
pub(crate) fn own_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let quoted = crate::newtext::quoted_lines(text);
    for (line, quoted) in text.lines().zip(quoted) {
        let t = line.trim();
        if crate::newtext::starts_forward(t) {
            break;
        }
        if quoted {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Does the post open by greeting the owner by name ("Olá Lotte,",
/// "Hola Carmen y compañeros,")? Its first line, a short one, names them.
fn opens_on_owner(text: &str, place: &Place) -> bool {
    // The first line, or one of the next two under a forum's header lines
    // ("Callum_Reyes", "March 19"): a short greeting with the owner's name,
    // or a line that opens by calling them ("Rhea, great idea. Please ...").
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .enumerate()
        .any(|(i, l)| {
            i == 0 && l.split_whitespace().count() <= 6 && place.names.word_in(l)
                || asks::vocative(l).is_some_and(|(name, _)| place.names.is_called(&name))
        })
}

/// Who the message is to and where it sits: what the asks and topic rules
/// need to know beyond the text.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub source: Source,
    /// Ways the writer may name the owner ("Robin", "Ellis", "Rellis").
    pub names: Names,
    /// The owner is in To: (not only Cc:), or To: is empty; a forum's
    /// notification to its member does not count.
    pub to_owner: bool,
    /// First names of the other people in To: and Cc:, who may be called on.
    pub other_names: Vec<String>,
    /// Someone else is in To: and the owner only in Cc:.
    pub owner_only_cc: bool,
    /// It replies to the owner's own message (In-Reply-To in the owner's
    /// domain, or a quote attributed to the owner).
    pub reply_to_owner: bool,
    /// It sits under the owner's call for topics (subject, post title or
    /// the quoted text asks what to write about).
    pub call_for_topics: bool,
    /// The list name, for reasons ("Netadmins").
    pub list_name: Option<String>,
    /// A comment that answers another commenter's (the platform names the
    /// parent's author, and it is not the owner): it talks to them unless
    /// it says otherwise.
    pub answers_another: bool,
    /// A comment that answers another comment (the platform names its
    /// parent, by link or by name).
    pub is_reply: bool,
}

impl Place {
    /// Can a list post with this text (`lower`, in lower case) be for the
    /// owner? Only when it is to them, answers them, sits under their call
    /// for topics, or may name them (`asks::may_name_owner`, which errs
    /// towards yes).
    pub fn may_be_for_owner(&self, lower: &str) -> bool {
        self.to_owner || self.reply_to_owner || self.call_for_topics || self.names.may_be_in(lower)
    }

    fn of(msg: &Message, owner: &Owner, source: Source, ctx: &Context, quoted: &str) -> Place {
        let is_owner = |a: &Address| owner.is_owner(&a.email);
        // A forum in mailing-list mode writes every post To: the member.
        let forum = msg.headers.iter().any(|(k, _)| {
            k.get(..11)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-discourse"))
        }) || source::no_reply_sender(msg.email_from());
        // A list archive keeps no To: its posts were to the list.
        let archived = source == Source::List && msg.to.is_empty();
        let to_owner = !forum && !archived && (msg.to.is_empty() || msg.to.iter().any(is_owner));
        let owner_only_cc = !to_owner && msg.cc.iter().any(is_owner);
        let other_names = msg
            .to
            .iter()
            .chain(&msg.cc)
            .filter(|a| !is_owner(a))
            .filter_map(|a| a.name.split_whitespace().next())
            .map(|n| n.trim_matches(['"', '\'', ',']).to_string())
            .filter(|n| n.chars().count() > 1)
            .collect();
        // Without the store's word (`facts`), a parent whose Message-ID
        // is of the owner's own domain (not a shared mail provider's) is
        // theirs.
        let parent = msg
            .in_reply_to
            .as_deref()
            .or(msg.references.last().map(String::as_str));
        let parent_is_owners = ctx.facts.parent_is_owners
            || parent
                .and_then(|id| id.rsplit_once('@'))
                .is_some_and(|(_, d)| owner.domains().any(|o| own_domain(d, o)));
        let quoted_owner = quoted.lines().take(40).any(|l| {
            let lower = l.to_lowercase();
            is_attribution(&lower) && owner.names().full_name_or_address_in(&lower)
        });
        // On a list, a call for topics is the owner's only when the post
        // answers the owner; elsewhere (a comment on their post, mail to
        // them) the subject or the quote says it.
        let reply_to_owner = parent_is_owners || quoted_owner;
        let says_call = || {
            [
                msg.subject.as_str(),
                ctx.post_title.as_deref().unwrap_or(""),
                quoted,
            ]
            .iter()
            .any(|t| topics::is_call_for_topics(t))
        };
        let call_for_topics = ctx.facts.under_owners_call
            || match source {
                Source::List => reply_to_owner && says_call(),
                _ => says_call(),
            };
        let answers_another = source == Source::Comment
            && ctx.parent_author.as_deref().is_some_and(|n| {
                let first = n.split_whitespace().next().unwrap_or("");
                !owner.is_owner_name(n) && !owner.names().is_called(first)
            });
        let is_reply = source == Source::Comment
            && (ctx.parent_author.is_some() || ctx.parent_comment_url.is_some());
        Place {
            answers_another,
            is_reply,
            source,
            names: owner.names().clone(),
            to_owner,
            owner_only_cc,
            other_names,
            reply_to_owner,
            call_for_topics,
            list_name: ctx.list_name.clone().or_else(|| ctx.list_id.clone()),
        }
    }
}

/// A Message-ID's domain is the owner's address domain (or a host in it),
/// and not one that many people share.
fn own_domain(id_domain: &str, owner_domain: &str) -> bool {
    let d = id_domain.to_ascii_lowercase();
    let o = owner_domain.to_ascii_lowercase();
    let same = d == o || d.ends_with(&format!(".{o}"));
    same && !source::shared_mail_domain(&o)
}

/// "On ... Robin Ellis wrote:", "Robin Ellis a écrit", "From: Robin Ellis"
/// (`l` in lower case).
fn is_attribution(l: &str) -> bool {
    [
        "wrote",
        "écrit",
        "schrieb",
        "escribió",
        "escreveu",
        "scritto",
        "from:",
        "von:",
        "de:",
    ]
    .iter()
    .any(|w| l.contains(w))
}

/// One sentence of the new text and the paragraph it is in.
#[derive(Debug, Clone)]
pub(crate) struct Sentence {
    pub text: String,
    pub para: usize,
    /// It opens its paragraph.
    pub first: bool,
}

/// Split text into sentences, paragraph by paragraph. Addresses and code
/// are replaced first, so a '?' in a URL or a shell glob is not a question.
/// Linear in the text.
pub(crate) fn sentences(text: &str) -> Vec<Sentence> {
    // Read once, and only for a text with a '?' left after masking.
    let lossy = std::cell::OnceCell::new();
    let mut out = Vec::new();
    let mut para = 0;
    let mut buf = String::new();
    let flush = |buf: &mut String, para: usize, out: &mut Vec<Sentence>| {
        let mut first = true;
        for s in split_sentences(buf) {
            out.push(Sentence {
                text: s,
                para,
                first,
            });
            first = false;
        }
        buf.clear();
    };
    for line in text.lines() {
        let raw = line.trim_end();
        let t = raw.trim();
        let bullet = is_bullet(t);
        if t.is_empty() || bullet || is_code_line(raw) {
            flush(&mut buf, para, &mut out);
            para += 1;
            if t.is_empty() || is_code_line(raw) {
                continue;
            }
        }
        if !buf.is_empty() {
            buf.push('\n');
        }
        let masked = mask(t);
        if masked.contains('?') {
            let lossy = *lossy.get_or_init(|| lost_characters(text));
            buf.push_str(&unmark_lost_characters(&masked, lossy));
        } else {
            buf.push_str(&masked);
        }
        // A short line without closing punctuation is a line of its own: a
        // greeting, a signature or address line, not wrapped prose.
        if width(t) < 45 && !t.ends_with(['.', '?', '!', ',', ';', ':', '-'])
            || t.ends_with(',') && t.split_whitespace().count() <= 3
        {
            flush(&mut buf, para, &mut out);
            para += 1;
        }
    }
    flush(&mut buf, para, &mut out);
    out
}

/// Does the text show that characters were lost on the way, each written
/// '?' (a list archive that could keep only ASCII: "I?m", "d?j?", "ao?t")?
/// A '?' between two letters is never punctuation in prose.
/// Links and code ("login?next=", "a?b:c") are not read.
fn lost_characters(text: &str) -> bool {
    let letter = |c: Option<char>| c.is_some_and(char::is_alphabetic);
    text.split_whitespace()
        .filter(|w| w.contains('?') && !w.contains(['/', '=', '&', '@', '(', ':']))
        .any(|w| {
            memchr::memchr_iter(b'?', w.as_bytes())
                .any(|i| letter(w[..i].chars().next_back()) && letter(w[i + 1..].chars().next()))
        })
}

/// A masked line with each '?' that stands for a lost character (not a
/// question mark) written U+FFFD, the replacement character: one opening
/// the line or following a full stop, comma, colon or semicolon, or such a
/// '?' and a space ("idea.? ?", "? In my view"); and in a text that shows
/// lost characters, any '?' after a space ("2019 ? 12:58", where "à" was).
/// Elsewhere a space before '?' is French typography ("Pourquoi ?").
fn unmark_lost_characters(line: &str, lossy: bool) -> String {
    // A '?' alone on its line closes the question above it (code, then "?").
    if line.trim() == "?" {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len());
    let mut prev: Option<char> = None;
    // The last character before the spaces that precede this one.
    let mut before_space: Option<char> = None;
    for c in line.chars() {
        let lost = c == '?'
            && match prev {
                None => true,
                Some('.') => !out[..out.len() - 1].ends_with('.'),
                Some(',' | ';' | ':') => true,
                Some(p) if p.is_whitespace() => {
                    lossy
                        || before_space
                            .is_none_or(|b| matches!(b, '?' | '\u{FFFD}' | '.' | ',' | ';' | ':'))
                }
                Some(_) => false,
            };
        let c = if lost { '\u{FFFD}' } else { c };
        if !c.is_whitespace() {
            before_space = Some(c);
        }
        prev = Some(c);
        out.push(c);
    }
    out
}

fn is_bullet(t: &str) -> bool {
    let b = t.as_bytes();
    matches!(b.first(), Some(b'-' | b'*' | b'\xe2')) && t.chars().nth(1) == Some(' ')
        || (b.len() > 2 && b[0].is_ascii_digit() && matches!(b[1], b'.' | b')') && b[2] == b' ')
}

/// Indented or prompt-led lines are code or commands, not prose; so is an
/// assignment (`prompt = "What is x? "`, `w <- f(x)`).
fn is_code_line(line: &str) -> bool {
    let t = line.trim_start();
    (line.starts_with("    ") || line.starts_with('\t')) && !is_bullet(t)
        || t.starts_with("$ ")
        || t.starts_with("# ") && t.contains('/')
        || t.starts_with("```")
        || is_assignment(t)
        || is_numbered_statement(t)
}

/// A line of a numbered BASIC listing: `10 INPUT "WHAT IS YOUR NAME? ";N$`,
/// `10 HOME : PRINT`, `10 FORI=1TO10` (a line number, a statement's word
/// in capitals, and code on the line: a quote, `$`, `:`, `=` or a
/// bracket; "2 RAM sticks or 4 for the NAS?" has none, "5 PM" no word).
fn is_numbered_statement(t: &str) -> bool {
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let Some(rest) = t[digits..].strip_prefix(' ') else {
        return false;
    };
    let keyword: String = rest.chars().take_while(char::is_ascii_alphabetic).collect();
    (1..=5).contains(&digits)
        && (keyword.len() >= 3 || keyword == "IF")
        && keyword.chars().all(|c| c.is_ascii_uppercase())
        && rest[keyword.len()..].starts_with([' ', '"', '$', '(', ':', '='])
        && rest.contains(['"', '$', ':', '=', '('])
}

/// `name = "..."`, `name <- f(`, `x[1] := 2`: a name (letters, digits, `_`,
/// `.`, `[...]`), an assignment operator, then a string, a number, a
/// bracket or a call.
fn is_assignment(t: &str) -> bool {
    let name_end = t
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']')))
        .unwrap_or(t.len());
    let name = &t[..name_end];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        return false;
    }
    let rest = t[name_end..].trim_start();
    let Some(value) = ["<-", ":=", "+=", "="]
        .iter()
        .find_map(|op| rest.strip_prefix(op))
        .filter(|v| !v.starts_with('='))
    else {
        return false;
    };
    let value = value.trim_start();
    let call = value.find('(').is_some_and(|i| {
        i > 0
            && value[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
    });
    value.starts_with(['"', '\'', '[', '{'])
        || value.starts_with(|c: char| c.is_ascii_digit())
        || call
}

/// Replace URLs and `inline code` by placeholders.
pub(crate) fn mask(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_code = false;
    // The quote that closes a string assigned in the line (`prompt="Which
    // diagonal is this?"`): code up to it.
    let mut in_string: Option<char> = None;
    for word in line.split_inclusive(' ') {
        let w = word.trim();
        if let Some(q) = in_string {
            if w.contains(q) {
                in_string = None;
            }
            out.push_str("<code> ");
            continue;
        }
        // One pass over the word counts what the tests below need.
        let (mut ticks, mut special, mut marks) = (0, false, 0);
        for b in w.bytes() {
            match b {
                b'`' => ticks += 1,
                b'\\' | b'^' | b'$' => special = true,
                b'/' | b'*' | b'?' | b'=' | b'[' => marks += 1,
                _ => {}
            }
        }
        // "tune??", "really?!": marks that only close a sentence are prose.
        let closing = w
            .bytes()
            .rev()
            .take_while(|&b| b == b'?' || b == b'!')
            .filter(|&b| b == b'?')
            .count();
        marks -= closing.saturating_sub(1);
        if in_code || ticks > 0 {
            if ticks % 2 == 1 {
                in_code = !in_code;
            }
            out.push_str("<code> ");
            continue;
        }
        let inner = w.trim_start_matches(['(', '<', '[', '"']).as_bytes();
        let starts = |p: &str| {
            inner
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
        };
        if starts("http://") || starts("https://") || starts("www.") {
            let tail: String = w
                .chars()
                .rev()
                .take_while(|c| matches!(c, '.' | ',' | ')' | '>' | ']'))
                .collect();
            out.push_str("<url>");
            out.extend(tail.chars().rev());
            out.push(' ');
            continue;
        }
        if let Some(at) = w.find("=\"").or_else(|| w.find("='")) {
            let q = if w[at..].starts_with("=\"") {
                '"'
            } else {
                '\''
            };
            if !w[at + 2..].contains(q) {
                in_string = Some(q);
            }
            out.push_str("<code> ");
            continue;
        }
        if special || marks > 1 {
            out.push_str("<code> ");
            continue;
        }
        out.push_str(word);
    }
    out
}

/// Split at sentence ends: . ! ? and their full-width forms, and 。.
fn split_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        let end = match c {
            '?' | '!' => {
                chars.get(i + 1).is_none_or(|&(_, n)| {
                    n.is_whitespace() || matches!(n, '"' | '\'' | ')' | '»' | '”')
                }) && !reported_speech(&chars, i)
            }
            '.' => {
                chars.get(i + 1).is_none_or(|&(_, n)| {
                    n.is_whitespace() || matches!(n, '"' | '\'' | ')' | '»' | '”')
                }) && !abbreviation(&text[start..at])
            }
            '？' | '！' | '。' => true,
            _ => false,
        };
        if end {
            let stop = at + c.len_utf8();
            let s = text[start..stop].trim();
            if !s.is_empty() {
                out.push(s.to_string());
            }
            start = stop;
        }
    }
    let rest = text[start..].trim();
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// `he asked "why is it slow?" and I ...`: a question quoted inside a
/// sentence that goes on in lower case is reported, not asked.
fn reported_speech(chars: &[(usize, char)], i: usize) -> bool {
    let quote = |k: usize| {
        chars
            .get(k)
            .is_some_and(|&(_, c)| matches!(c, '"' | '\'' | '»' | '”' | '’'))
    };
    let space = |k: usize| chars.get(k).is_some_and(|&(_, c)| c == ' ');
    let lower = |k: usize| chars.get(k).is_some_and(|&(_, c)| c.is_lowercase());
    quote(i + 1) && space(i + 2) && lower(i + 3)
}

/// "1." of a numbered list, "vs.", "e.g.": a full stop that ends no sentence.
fn abbreviation(before: &str) -> bool {
    let word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .to_lowercase();
    let numbering =
        before.trim().len() <= 3 && !word.is_empty() && word.chars().all(|c| c.is_ascii_digit());
    numbering
        || [
            "vs", "e.g", "i.e", "etc", "dr", "mr", "mrs", "ms", "st", "approx", "cf", "no", "nr",
            "p.s", "z.b", "bzw", "ca",
        ]
        .contains(&word.as_str())
}

/// Display width: CJK characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if c as u32 >= 0x1100 { 2 } else { 1 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubled_question_marks_close_a_sentence_and_code_stays_code() {
        assert!(!mask("before the third tune?? it's gorgeous").contains("<code>"));
        assert!(mask("run a?b?c then").contains("<code>"));
        let s =
            sentences("what's the piece you noodle at 4:32 before the third tune?? it's gorgeous");
        assert!(s[0].text.ends_with("tune??"), "{:?}", s[0].text);
    }

    #[test]
    fn a_question_mark_that_stands_for_a_lost_character_asks_nothing() {
        let asked = |text: &str| -> Vec<String> {
            sentences(text)
                .into_iter()
                .filter(|s| s.text.ends_with('?'))
                .map(|s| s.text)
                .collect()
        };
        // Where an archive wrote '?' for a non-breaking space or an accent.
        let lost = "I?m not sure this helps.? It is 1.? 420 now.\n? In my opinion it is a bug.\nLe dim. 8 sept. 2019 ? 12:58 it broke.";
        assert!(asked(lost).is_empty(), "{:?}", asked(lost));
        // Real questions, French spacing and ellipses included, still ask.
        let real = "Could you look at this? Pourquoi pas ?\nReally...? And now?\nConfirm at https://x.example/login?next=p ?";
        assert_eq!(asked(real).len(), 5, "{:?}", asked(real));
        // A string assigned in running text is code.
        assert!(
            asked("Swap the prompt to prompt=\"Which diagonal is this?\" and it works.").is_empty()
        );
        // A '?' alone on a line, under what it asks about.
        assert_eq!(asked("Wouldn't it be clearer to test it first\n?").len(), 1);
    }

    #[test]
    fn a_list_post_that_opens_by_calling_on_the_owner_asks_them_below() {
        let owner = Owner::new("Theodora Vance", &["thea@quietgambit.example"]);
        let post = |greeting: &str| {
            format!(
                "From: Sam <sam@club.example>\nTo: chess@lists.club.example\nList-Id: <chess.lists.club.example>\nList-Post: <mailto:chess@lists.club.example>\nSubject: AMA\n\n{greeting}\n\nWould you be up for an AMA thread in May?\n"
            )
        };
        for greeting in [
            "Hello everyone, and hello @thea - I know you lurk here!",
            "Thea,",
        ] {
            assert!(judge(&post(greeting), &owner).asks_owner, "{greeting}");
        }
        // Greeting the list alone, the question is the list's.
        assert!(!judge(&post("Hello everyone!"), &owner).asks_owner);
    }

    #[test]
    fn the_owners_subject_may_be_the_call_for_topics() {
        let owner = Owner::new("Maren Calloway", &["maren@x.example"]);
        let raw = "From: Maren Calloway <maren@x.example>\nTo: club@lists.example\nSubject: What should a teacher-focused series cover?\n\nIf you run a school programme, what would help you most?\nReply here or to me directly.\n";
        assert!(judge(raw, &owner).context.call_for_topics);
        let not = "From: Maren Calloway <maren@x.example>\nTo: club@lists.example\nSubject: Launch on Saturday\n\nIf you run a school programme, what would help you most?\n";
        assert!(!judge(not, &owner).context.call_for_topics);
        // The owner's reply repeats the subject of the mail it answers.
        let reply = "From: Maren Calloway <maren@x.example>\nTo: club@lists.example\nSubject: Re: What should a welding series cover first?\n\nGood question, Dev.\n";
        assert!(!judge(reply, &owner).context.call_for_topics);
    }

    #[test]
    fn a_templates_fields_filled_in_ask_for_no_piece() {
        let owner = Owner::new("Tamsin Crowley", &["tamsin@x.example"]);
        let raw = "From: Hamish <h@y.example>\nTo: tamsin@x.example\nSubject: Ep 44 cuts out\n\nHi Tamsin,\n\nFYI, episode 44 cuts out at 23:10. The app's bug template:\n\n---\nSteps to reproduce: play episode 44\nWhat did you expect to happen? Episode plays to the end\nWhat actually happened? Audio stops at 23:10\nWhich app and version? Podcast Republic 2.4 on Android 14\nDoes it happen with other episodes? No\n---\n\nHamish\n";
        let c = judge(raw, &owner);
        assert!(c.topics.is_empty(), "{:?}", c.topics);
        assert!(!c.asks_owner, "{:?}", c.reasons);
        // Questions each answered by a sentence of the writer's are no form.
        let prose = "From: Hamish <h@y.example>\nTo: tamsin@x.example\nSubject: Relay\n\nHi Tamsin,\n\nDid you try the 40A fuse? I did and it blew.\nIs the relay OK? Mine clicks.\nWhat gauge wire did you use? I have 12 AWG.\n\nHamish\n";
        assert!(judge(prose, &owner).asks_owner);
    }

    /// One message, judged with no other mail and no corrections.
    fn judge(raw: &str, owner: &Owner) -> Classification {
        classify(
            &crate::message::parse(raw.as_bytes()),
            owner,
            false,
            Facts::default(),
            &learned::Lessons::default(),
        )
    }

    #[test]
    fn an_assignment_is_code_and_asks_nothing() {
        for code in [
            "prompt = \"What is the weight in lb? \"",
            "prompt=\"What is x? \"",
            "answer <- readline(\"Why? \")",
            "w = float(input(prompt))",
            "x[1] := 2",
            "10 INPUT \"WHAT IS YOUR NAME? \";N$",
            "130 IF X=7 THEN PRINT \"CORRECT\"",
            "10 HOME : INPUT \"WHAT IS YOUR NAME? \";N$",
            "10 PRINTCHR$(147)",
            "10 FORI=1TO10:NEXT",
        ] {
            assert!(is_code_line(code), "{code}");
        }
        for prose in [
            "Could you write about Fresnel lenses?",
            "So = what now?",
            "Is 2 = 3?",
            "a = b, isn't it?",
            "5 PM works for me, does it for you?",
            "10 of them arrived, why?",
            "2 RAM sticks or 4 for the NAS, which would you go with?",
            "3 USB ports or 2 HDMI, which one?",
        ] {
            assert!(!is_code_line(prose), "{prose}");
        }
        let said = sentences(
            "My script:\nprompt = \"What is the weight in lb? \"\nWould you write about lenses?",
        );
        let questions: Vec<_> = said.iter().filter(|s| s.text.ends_with('?')).collect();
        assert_eq!(questions.len(), 1, "{said:?}");
        assert!(questions[0].text.contains("lenses"));
    }

    #[test]
    fn a_list_post_for_the_list_is_not_read_for_requests() {
        let owner = Owner::new("Robin Ellis", &["robin@ellis-on-it.example"]);
        let post = |greeting: &str, signature: &str| {
            let raw = format!(
                "From: Ann <ann@x.example>\nTo: Ops <ops@lists.example>\nList-Id: Ops <ops.lists.example>\nSubject: backups\n\n{greeting}\n\nCould you write a column about restore testing? I would love to read one.\n\n-- \n{signature}\n"
            );
            judge(&raw, &owner)
        };
        let said = |c: &Classification, rule: &str| c.reasons.iter().any(|r| r.why.ends_with(rule));
        // Nothing of the owner's anywhere: not read at all.
        let to_list = post("Hi all,", "Ann");
        assert_eq!(to_list.source, Source::List);
        assert!(to_list.topics.is_empty() && !to_list.asks_owner);
        assert!(
            said(&to_list, "anywhere: not read"),
            "{:?}",
            to_list.reasons
        );
        // The owner's name only in the signature: read, but not for requests.
        let signed = post("Hi all,", "Ann, who reads Robin's column");
        assert!(signed.topics.is_empty() && !signed.asks_owner);
        assert!(
            said(&signed, "not read for requests"),
            "{:?}",
            signed.reasons
        );
        // The same request, naming the owner, is theirs.
        let to_robin = post("Robin,", "Ann");
        assert!(to_robin.asks_owner, "{:?}", to_robin.reasons);
        assert_eq!(to_robin.topics.len(), 1, "{:?}", to_robin.reasons);
    }

    #[test]
    fn a_list_wish_is_a_topic_only_when_asked_of_the_owner() {
        let owner = Owner::new("Robin Ellis", &["robin@ellis-on-it.example"]);
        // Replies to the owner's post (In-Reply-To in their domain).
        let reply = |body: &str| {
            let raw = format!(
                "From: Ann <ann@x.example>\nTo: Ops <ops@lists.example>\nList-Id: Ops <ops.lists.example>\nSubject: Re: backups\nIn-Reply-To: <1@ellis-on-it.example>\n\n{body}\n"
            );
            judge(&raw, &owner)
        };
        // A technical wish whose only "piece" is a verb or a problem: the
        // list's discussion, not a subject for the owner.
        for body in [
            "Would it be appropriate to issue a warning when the daemon starts?",
            "Maybe we should address this issue on the tools list instead?",
        ] {
            let c = reply(body);
            assert!(c.topics.is_empty(), "{body}: {:?}", c.topics);
        }
        // Asked of the owner: in the second person, by a verb of writing
        // (Spanish needs no pronoun), or in a post that greets them.
        for body in [
            "Could you write a post about restore testing?",
            "Me encantaría que escribieras una columna sobre las copias de seguridad.",
            "Hola Robin y compañeros,\n\nMe gustaría un episodio sobre las copias de seguridad en la nube.",
        ] {
            let c = reply(body);
            assert_eq!(c.topics.len(), 1, "{body}: {:?}", c.reasons);
        }
    }
}

/// For the diagnostics that time judgement on real mail: the first `limit`
/// files under `dir` (a Maildir's cur/ and new/ included), by path.
#[cfg(test)]
pub(crate) fn mail_under(dir: &std::path::Path, limit: usize) -> Vec<Vec<u8>> {
    let (mut files, mut dirs) = (Vec::new(), vec![dir.to_path_buf()]);
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .iter()
        .take(limit)
        .map(|f| std::fs::read(f).unwrap())
        .collect()
}

#[cfg(test)]
mod stage_bench {
    use super::*;

    /// Where classification spends its time, stage by stage, on a folder of
    /// mail (`ALLEARS_STAGES_DIR=/path/to/Maildir cargo test --release
    /// stage_times -- --ignored --nocapture`). Prints figures, asserts nothing.
    #[test]
    #[ignore]
    fn stage_times() {
        use std::time::{Duration, Instant};
        let Ok(dir) = std::env::var("ALLEARS_STAGES_DIR") else {
            return;
        };
        let owner = Owner::new("Robin Ellis", &["robin@ellis-on-it.example"]);
        let raws = mail_under(std::path::Path::new(&dir), usize::MAX);
        let mut t = [Duration::ZERO; 9];
        let names = [
            "parse",
            "context",
            "source",
            "writer_text",
            "new_text",
            "own_words",
            "place",
            "sentences",
            "topics",
        ];
        let mut asks_t = Duration::ZERO;
        for raw in &raws {
            let mut clock = Instant::now();
            let mut lap = |i: usize, t: &mut [Duration; 9]| {
                t[i] += clock.elapsed();
                clock = Instant::now();
            };
            let msg = crate::message::parse(raw);
            lap(0, &mut t);
            let notice = platforms::notice(&msg);
            let context = source::context(&msg, notice.as_ref());
            lap(1, &mut t);
            let mut reasons = Vec::new();
            let src = source::source(&msg, &owner, false, &context, notice.as_ref(), &mut reasons);
            lap(2, &mut t);
            let body = source::writer_text(&msg, src, notice.as_ref(), &context);
            lap(3, &mut t);
            let new = crate::newtext::new_text(&body);
            lap(4, &mut t);
            let text = own_words(&new.text);
            lap(5, &mut t);
            let place = Place::of(&msg, &owner, src, &context, &new.quoted);
            lap(6, &mut t);
            let all = sentences(&text);
            lap(7, &mut t);
            let topics = topics::requests(&all, &place, &mut reasons);
            lap(8, &mut t);
            let a = Instant::now();
            let _ = asks::asks_owner(&place, &text, &all, &topics, &mut reasons);
            asks_t += a.elapsed();
        }
        let n = raws.len() as f64;
        for (name, d) in names.iter().zip(t) {
            println!("{name:12} {:8.1} µs/msg", d.as_secs_f64() * 1e6 / n);
        }
        println!(
            "{:12} {:8.1} µs/msg",
            "asks",
            asks_t.as_secs_f64() * 1e6 / n
        );
        // The stages above run every test on every message; `classify`
        // skips some (own and automated mail, list posts not for the owner).
        let whole = Instant::now();
        for raw in &raws {
            let msg = crate::message::parse(raw);
            let _ = classify(
                &msg,
                &owner,
                false,
                Facts::default(),
                &learned::Lessons::default(),
            );
        }
        println!(
            "{:12} {:8.1} µs/msg  (parse + classify, as an import runs them)",
            "whole",
            whole.elapsed().as_secs_f64() * 1e6 / n
        );
    }
}
