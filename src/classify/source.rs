//! Where a message comes from: a blog comment, a pingback, a mailing list,
//! a person writing directly, automated mail, or the owner's own mail; and
//! the facts about its place ([`Context`]) that the digest shows and links.
//!
//! The rules go from the strongest evidence to the weakest: the owner's own
//! mail; blog notifications (WordPress's `wp_notify_postauthor` /
//! `wp_notify_moderator` formats, Disqus, and Ghost, Blogger and their kin
//! by the notification's form: "X left a comment on ..." and a link to the
//! comment); delivery and feedback reports (RFC 3464 `multipart/report;
//! report-type=delivery-status`, RFC 5965 ARF `feedback-report`); code
//! hosts' and trackers' notifications (their own `X-GitHub-*`-style
//! headers, though they carry a List-Id); mailing lists (RFC 2919 List-Id,
//! RFC 2369 List-*, and the lists that lack them: L-Soft LISTSERV, Google
//! Groups, Mailman, Discourse); then automated mail (RFC 3834
//! Auto-Submitted, Precedence, auto-reply markers, no-reply senders,
//! newsletters, the blog's own mail, spam and phishing, receipts, a
//! service's boilerplate); whatever is left is a person writing directly.
//!
//! A list is tested before Auto-Submitted on purpose: Discourse sends a
//! human's forum post with `Auto-Submitted: auto-generated`, and it is still
//! a person talking on a list.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::platforms::{Kind, Notice};
use super::{Context, Phrases, Reason, Rule, Site, Source};
use crate::config::Owner;
use crate::message::{Address, Archived, Message};

/// Facts about the message's place: its list, or the blog post and comment
/// of a platform's notice, and the person behind a notice.
pub(crate) fn context(msg: &Message, notice: Option<&Notice>) -> Context {
    let mut c = Context::default();
    list_context(msg, &mut c);
    match notice {
        Some(n) => {
            c.platform = Some(n.platform.clone());
            c.author = n.author.clone();
            c.post_title = n.post_title.clone();
            c.post_url = n.post_url.clone();
            c.comment_url = n.comment_url.clone();
            c.parent_comment_url = n.parent_url.clone();
            c.parent_author = n.parent_name.clone();
            c.moderation_url = n.moderation_url.clone();
            c.held = matches!(n.kind(), Kind::Held | Kind::Spam);
        }
        None if contact_form(msg) => {
            c.contact_form = true;
            c.author = msg.reply_to.first().cloned();
        }
        None => {}
    }
    c
}

/// A message sent through the blog's contact form (Contact Form 7, Jetpack,
/// WPForms): the blog's address sends it, Reply-To is the visitor, and the
/// body names the form. A reader writing directly, not the blog's own mail.
pub(crate) fn contact_form(msg: &Message) -> bool {
    static SAYS: std::sync::LazyLock<super::Phrases> = std::sync::LazyLock::new(|| {
        super::Phrases::new(crate::lang::phrases(&crate::lang::WORDS.forms.contact_form))
    });
    let visitor = msg
        .reply_to
        .first()
        .is_some_and(|r| r.email != msg.email_from());
    if !visitor {
        return false;
    }
    let t = msg.text.to_lowercase();
    let forms = &crate::lang::WORDS.forms;
    let field = |labels: &[String]| {
        t.lines().any(|l| {
            labels
                .iter()
                .any(|f| l.trim_start().starts_with(f.as_str()))
        })
    };
    SAYS.any_in(&t)
        || SAYS.any_in(&msg.subject.to_lowercase())
        || (field(&forms.name_fields) && field(&forms.message_fields))
}

fn list_context(msg: &Message, c: &mut Context) {
    if let Some(v) = msg.header("List-Id") {
        let (name, id) = parse_list_id(v);
        if !id.is_empty() {
            c.list_id = Some(id);
            c.list_name = name;
        }
    }
    if c.list_id.is_none()
        && let Some((id, name)) = list_without_list_id(msg)
            .or_else(|| archive_list(msg))
            .or_else(|| list_by_recipient(msg))
    {
        c.list_id = Some(id);
        c.list_name = name;
    }
    if c.list_name.is_none()
        && let Some(id) = &c.list_id
    {
        c.list_name = Some(id.split(['.', '@']).next().unwrap_or(id).to_string());
    }
    c.list_post = msg.header("List-Post").map(str::to_string);
    c.archive = msg
        .header("Archived-At")
        .or_else(|| msg.header("List-Archive"))
        .and_then(first_url);
}

/// RFC 2919 `list-id-header = "List-ID:" [phrase] "<" list-id ">"`; the id
/// is compared without case. A bare id (no angle brackets) is taken as is.
pub(crate) fn parse_list_id(v: &str) -> (Option<String>, String) {
    match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => {
            let name = v[..a].trim().trim_matches('"').trim();
            let id = v[a + 1..b].trim().to_ascii_lowercase();
            ((!name.is_empty()).then(|| name.to_string()), id)
        }
        _ => (None, v.trim().to_ascii_lowercase()),
    }
}

/// Lists that send no List-Id: L-Soft LISTSERV (the list is the Sender and
/// the Reply-To), Google Groups (`Mailing-list: list x@googlegroups.com`),
/// Mailman 2 (`X-BeenThere`), fml and others (`X-ML-Name`, `X-Mailing-List`).
fn list_without_list_id(msg: &Message) -> Option<(String, Option<String>)> {
    if let Some(sender) = listserv_sender(msg) {
        let name = (!sender.name.is_empty()).then(|| sender.name.clone());
        return Some((sender.email.clone(), name));
    }
    if let Some(v) = msg.header("Mailing-list") {
        let addr = v
            .split([' ', ';'])
            .find(|w| w.contains('@'))
            .unwrap_or(v)
            .trim_matches(['<', '>'])
            .to_ascii_lowercase();
        return Some((addr, None));
    }
    for h in ["X-BeenThere", "X-Mailing-List", "X-ML-Name"] {
        if let Some(v) = msg.header(h) {
            let id = v.trim().trim_matches(['<', '>']).to_ascii_lowercase();
            if !id.is_empty() {
                return Some((id, None));
            }
        }
    }
    None
}

/// A list archive's post: pipermail keeps the list's `[Tag]` in the
/// subject, which names the list.
fn archive_list(msg: &Message) -> Option<(String, Option<String>)> {
    msg.archived?;
    let tag = subject_tag(&msg.subject);
    let id = tag
        .as_deref()
        .map(|t| format!("{}.archive", t.to_ascii_lowercase()))
        .unwrap_or_else(|| "archive".to_string());
    Some((id, tag))
}

/// How list addresses look (`lists.toml`).
#[derive(serde::Deserialize)]
struct ListShapes {
    hosts: Vec<String>,
    host_prefixes: Vec<String>,
    local_suffixes: Vec<String>,
    filter_tags: Vec<String>,
    digest_subjects: Vec<String>,
    digest_counts: Vec<String>,
}

/// How machines show themselves (`senders.toml`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Senders {
    bounce_subjects: Vec<String>,
    auto_reply_prefixes: Vec<String>,
    list_software_headers: Vec<String>,
    list_software_locals: Vec<String>,
    list_software_suffixes: Vec<String>,
    list_owner_suffixes: Vec<String>,
    list_owner_tags: Vec<String>,
    list_noreply_tags: Vec<String>,
    bulk_headers: Vec<String>,
    sending_service_headers: Vec<String>,
    service_header_prefixes: Vec<String>,
    shared_mail_domains: Vec<String>,
    social_networks: Vec<String>,
    no_reply_contains: Vec<String>,
    no_reply_starts: Vec<String>,
    no_reply_locals: Vec<String>,
    role_senders: Vec<String>,
    transaction_fields: Vec<String>,
    service_lines: Vec<String>,
    phishing_chores: Vec<String>,
}

static SENDERS: std::sync::LazyLock<Senders> = std::sync::LazyLock::new(|| {
    toml::from_str(include_str!("senders.toml"))
        .unwrap_or_else(|e| panic!("src/classify/senders.toml: {e}"))
});

static LIST_SHAPES: std::sync::LazyLock<ListShapes> = std::sync::LazyLock::new(|| {
    toml::from_str(include_str!("lists.toml"))
        .unwrap_or_else(|e| panic!("src/classify/lists.toml: {e}"))
});

/// Is this address shaped like a mailing list's (`r-devel@r-project.org`,
/// `x@googlegroups.com`, `netadmins@lists.example.org`, `ROOTS-L@...`)?
pub(crate) fn list_shaped(email: &str) -> bool {
    let shapes = &*LIST_SHAPES;
    let email = email.to_ascii_lowercase();
    let Some((local, host)) = email.rsplit_once('@') else {
        return false;
    };
    shapes.hosts.iter().any(|h| host == h)
        || shapes
            .host_prefixes
            .iter()
            .any(|p| host.starts_with(p.as_str()))
        || local
            .rsplit_once('-')
            .is_some_and(|(_, tail)| shapes.local_suffixes.iter().any(|s| s == tail))
}

/// List mail that kept no list header (an mbox export, a takeout): the
/// list's address in To or Cc, from someone other than that list.
fn list_by_recipient(msg: &Message) -> Option<(String, Option<String>)> {
    let from = msg.email_from();
    let list = msg
        .to
        .iter()
        .chain(&msg.cc)
        .find(|a| a.email != from && list_shaped(&a.email))?;
    let email = list.email.to_ascii_lowercase();
    let name = subject_tag(&msg.subject).or_else(|| email.split('@').next().map(str::to_string));
    Some((email, name))
}

/// A post that kept no list header but carries a list's `[Tag]` (one that
/// heads many threads: `Facts::list_tag`) is that list's.
pub(crate) fn tagged_list(msg: &Message, c: &mut Context) {
    if c.list_id.is_some() || !c.facts.list_tag {
        return;
    }
    if let Some(tag) = list_tag(&msg.subject) {
        c.list_id = Some(format!("{}.tag", tag.to_ascii_lowercase()));
        c.list_name = Some(tag);
    }
}

/// A subject `[Tag]` on this many threads (of list posts and personal
/// mail), from this many senders, is a list's: a correspondent does not tag
/// their own threads so, and a relay (a site's contact form) is one sender.
/// The refresh decides it over the whole store (`Facts::list_tag`).
pub(crate) fn is_list_share(threads: usize, senders: usize) -> bool {
    threads >= 5 && senders >= 3
}

/// The subject `[Tag]`s an import has met so far, with the threads and
/// senders each heads among personal mail and list posts. A post whose tag
/// already heads a list's share is judged as that list's at once, rather
/// than as personal mail first and again in the refresh: R-devel as a
/// Maildir without list headers judged 10,000 posts twice. Threads are told
/// apart by the first of References, else In-Reply-To, else the post's own
/// id, which may count more threads than the refresh does: the refresh
/// still decides, and judges again any post it counts otherwise.
#[derive(Default)]
pub(crate) struct TagTally {
    seen: std::sync::Mutex<HashMap<String, Heads>>,
}

/// The threads and the senders a tag heads, each as a hash.
type Heads = (HashSet<u64>, HashSet<u64>);

impl TagTally {
    /// Count `msg` (judged `source` without the fact), and say whether its
    /// tag now heads a list's share.
    pub fn heads_a_list(&self, msg: &Message, source: Source) -> bool {
        if !matches!(source, Source::Direct | Source::List) {
            return false;
        }
        let Some(tag) = list_tag(&msg.subject) else {
            return false;
        };
        let hash = |s: &str| {
            use std::hash::{BuildHasher, BuildHasherDefault};
            BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(s)
        };
        let root = msg
            .references
            .first()
            .or(msg.in_reply_to.as_ref())
            .map_or(msg.message_id.as_str(), String::as_str);
        let Ok(mut seen) = self.seen.lock() else {
            return false;
        };
        let (threads, senders) = seen.entry(tag.to_ascii_lowercase()).or_default();
        threads.insert(hash(root));
        senders.insert(hash(&msg.email_from().to_ascii_lowercase()));
        source == Source::Direct && is_list_share(threads.len(), senders.len())
    }
}

/// A subject's `[Tag]` that may name a list: not one a mail filter puts
/// on mail from anywhere (`[SPAM]`, `[EXTERNAL]`: `filter_tags` in
/// lists.toml).
pub(crate) fn list_tag(subject: &str) -> Option<String> {
    subject_tag(subject).filter(|t| {
        let t = t.to_ascii_lowercase();
        !LIST_SHAPES.filter_tags.contains(&t)
    })
}

/// The list tag a subject carries: "[Rd] Re: x" -> "Rd" (after any Re:).
fn subject_tag(subject: &str) -> Option<String> {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        match ["re:", "aw:", "sv:", "fwd:", "fw:"]
            .iter()
            .find(|p| lower.starts_with(*p))
        {
            Some(p) => s = s[p.len()..].trim_start(),
            None => break,
        }
    }
    let rest = s.strip_prefix('[')?;
    let end = rest.find(']')?;
    let tag = rest[..end].trim();
    (!tag.is_empty() && tag.len() <= 40 && !tag.contains(' ')).then(|| tag.to_string())
}

/// L-Soft LISTSERV puts the list in `Sender:` (and usually `Reply-To:`),
/// the author in `From:`; the list host is conventionally `LISTSERV.<domain>`.
/// Majordomo and its kin send as `owner-list@` (or `list-owner@`).
fn listserv_sender(msg: &Message) -> Option<&Address> {
    let sender = msg.sender.as_ref()?;
    if sender.email == msg.email_from() {
        return None;
    }
    let (local, host) = sender.email.split_once('@').unwrap_or(("", ""));
    let listserv = host.starts_with("listserv.") || msg.has_header("X-LISTSERV-Version");
    let reply_is_list = msg.reply_to.iter().any(|r| r.email == sender.email);
    let majordomo = local.starts_with("owner-") || local.ends_with("-owner");
    (listserv || majordomo || (reply_is_list && local.ends_with("-l"))).then_some(sender)
}

fn first_url(v: &str) -> Option<String> {
    let start = v.find("http")?;
    let rest = &v[start..];
    let end = rest.find(['>', ' ', ',', '\n']).unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// Decide the source; every return pushes the rule that decided.
pub(crate) fn source(
    msg: &Message,
    owner: &Owner,
    sent: bool,
    ctx: &Context,
    notice: Option<&Notice>,
    reasons: &mut Vec<Reason>,
) -> Source {
    let mut say = |source: Source, why: &str, text: &str| {
        reasons.push(Reason::new(Rule::Source(source), why, text))
    };
    if sent {
        say(Source::Own, "found in the owner's sent mail", "");
        return Source::Own;
    }
    if owner.is_owner(msg.email_from()) {
        say(Source::Own, "From is the owner's address", msg.email_from());
        return Source::Own;
    }
    if let Some(why) = owner_through_list(msg, owner) {
        say(
            Source::Own,
            "the owner's post as the list delivered it",
            &why,
        );
        return Source::Own;
    }
    if let Some(n) = notice {
        return notice_source(n, &msg.text, owner, &mut say);
    }
    if ctx.contact_form {
        // SEO offers and the like come through the form too.
        let words = form_message(&msg.text);
        let cues = spam_cues(&words);
        if is_spam(&cues) {
            say(
                Source::Automated,
                "spam through the blog's contact form",
                &cues.join(", "),
            );
            return Source::Automated;
        }
        let who = msg
            .reply_to
            .first()
            .map(Address::display)
            .unwrap_or_default();
        // A relay of a person's words, as a comment notice is: the form
        // is one more place where readers write (the labelled sets agree).
        say(
            Source::Comment,
            "a reader wrote through the blog's contact form",
            &who,
        );
        return Source::Comment;
    }
    if let Some(why) = report(msg) {
        say(Source::Automated, "delivery or feedback report", &why);
        return Source::Automated;
    }
    if let Some(why) = text_digest(msg, ctx) {
        say(
            Source::Automated,
            "a list's digest written as one text: the software's summary of posts, no one's words to you",
            &why,
        );
        return Source::Automated;
    }
    if let Some(why) = list_software_mail(msg).filter(|_| !is_list_digest(msg, ctx)) {
        say(Source::Automated, "the list software's own mail", &why);
        return Source::Automated;
    }
    if let Some(why) = service_notification(msg) {
        say(Source::Automated, "a service's notification", &why);
        return Source::Automated;
    }
    if let Some(why) = human_list(msg, ctx) {
        say(Source::List, &why, ctx.list_id.as_deref().unwrap_or(""));
        return Source::List;
    }
    if let Some((rule, text)) = automated(msg) {
        say(Source::Automated, rule, &text);
        return Source::Automated;
    }
    if let Some(id) = &ctx.list_id {
        let why = if msg.has_header("List-Id") {
            "RFC 2919 List-Id, and nothing automated about it"
        } else if ctx.facts.list_tag && id.ends_with(".tag") {
            "no list header, but its subject's [tag] heads threads from many senders: a list's, and nothing automated about it"
        } else {
            "no list header, but sent to the list's address, and nothing automated about it"
        };
        say(Source::List, why, id);
        return Source::List;
    }
    if let Some(cue) = spam(msg, owner) {
        say(Source::Automated, "spam", &cue);
        return Source::Automated;
    }
    if let Some(why) = transactional(msg) {
        say(Source::Automated, "transactional mail", &why);
        return Source::Automated;
    }
    if let Some(why) = service_boilerplate(msg) {
        say(Source::Automated, "a service's boilerplate", why);
        return Source::Automated;
    }
    say(
        Source::Direct,
        "a person writing, no list, blog or automation markers",
        msg.email_from(),
    );
    Source::Direct
}

/// `text`: the whole text of the notice, for words its layout did not yield.
fn notice_source(
    n: &Notice,
    text: &str,
    owner: &Owner,
    say: &mut impl FnMut(Source, &str, &str),
) -> Source {
    let author = n.author.as_ref();
    let by_owner = author.is_some_and(|a| {
        owner.is_owner(&a.email) || (!a.name.is_empty() && owner.is_owner_name(&a.name))
    });
    let who = author
        .map(|a| {
            if a.email.is_empty() {
                a.name.clone()
            } else {
                a.display()
            }
        })
        .unwrap_or_default();
    let platform = &n.platform;
    if by_owner || n.kind() == Kind::Own {
        say(
            Source::Own,
            &format!("{platform}: notification of the owner's own comment"),
            &who,
        );
        return Source::Own;
    }
    match n.kind() {
        Kind::Pingback => {
            say(
                Source::Pingback,
                &format!("{platform}: another site links to your post"),
                &who,
            );
            Source::Pingback
        }
        Kind::Account => {
            say(
                Source::Automated,
                &format!("{platform}: the platform's own mail"),
                &n.platform,
            );
            Source::Automated
        }
        Kind::Spam => {
            say(
                Source::Automated,
                &format!("{platform}: a comment held as spam"),
                &who,
            );
            Source::Automated
        }
        kind => {
            // A spammer's name is an advertisement too ("Best Loans 24").
            let name = author.map(|a| a.name.as_str()).unwrap_or("");
            let email = author.map(|a| a.email.as_str()).unwrap_or("");
            // Words the platform's layout did not yield (another version
            // of its template) are somewhere in the text: judge all of it.
            let words = if n.words.trim().is_empty() {
                text
            } else {
                n.words.as_str()
            };
            let mut cues = spam_cues(&format!("{name}\n{words}"));
            cues.extend(comment_spam_shape(name, email, &n.words));
            if is_spam(&cues) {
                say(
                    Source::Automated,
                    &format!("{platform}: a spam comment"),
                    &cues.join(", "),
                );
                return Source::Automated;
            }
            let what = match kind {
                Kind::Held => "a comment held for moderation",
                Kind::Reply => "a reply to a comment",
                _ => "a comment notification",
            };
            say(Source::Comment, &format!("{platform}: {what}"), &who);
            Source::Comment
        }
    }
}

/// Lists that rewrite From: for DMARC ("Robin Ellis via Netadmins" <list@>,
/// Google Groups' "'Robin Ellis' via Mesh" with X-Original-From) still
/// deliver the owner's own post.
fn owner_through_list(msg: &Message, owner: &Owner) -> Option<String> {
    for h in ["X-Original-From", "X-Original-Sender"] {
        if let Some(v) = msg.header(h)
            && let Some(email) = v.split(['<', '>', ' ']).find(|w| w.contains('@'))
            && owner.is_owner(&email.to_ascii_lowercase())
        {
            return Some(format!("{h}: {v}"));
        }
    }
    let name = msg.from.as_ref()?.name.trim_matches(['\'', '"', ' ']);
    let (who, _) = name.split_once(" via ")?;
    let who = who.trim_matches(['\'', '"', ' ']);
    owner.is_owner_name(who).then(|| name.to_string())
}

/// Mail the list software writes itself (reminders, confirmations,
/// moderation requests): Mailman marks it `X-List-Administrivia: yes` and
/// sends it from the list's -owner, -request or -bounces address.
fn list_software_mail(msg: &Message) -> Option<String> {
    if msg
        .header("X-List-Administrivia")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("yes"))
    {
        return Some("X-List-Administrivia: yes".to_string());
    }
    let s = &*SENDERS;
    let local = msg.email_from().split('@').next().unwrap_or("");
    // "list-confirm+1f4c@", "main+calendar@": the address and its tag.
    let (base, tag) = local
        .split_once('+')
        .map_or((local, None), |(b, t)| (b, Some(t)));
    let tagged = |list: &[String]| tag.is_some_and(|t| crate::lang::one_of(list, t));
    let admin = crate::lang::one_of(&s.list_software_locals, local)
        || s.list_software_suffixes
            .iter()
            .any(|x| base.ends_with(x.as_str()));
    // The list owner's address writes for the software too ("your message
    // is held for approval"), and says so (Auto-Submitted, or Precedence
    // bulk: Mailman 2.1's moderation requests), or writes to itself, the
    // list's owners; a moderator writing from it to a person does not.
    let machine = msg
        .header("Auto-Submitted")
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
        || msg
            .header("Precedence")
            .is_some_and(|v| ["bulk", "junk"].contains(&v.trim().to_ascii_lowercase().as_str()))
        || msg
            .to
            .iter()
            .any(|a| a.email.eq_ignore_ascii_case(msg.email_from()));
    let owner_notice = (s
        .list_owner_suffixes
        .iter()
        .any(|x| local.ends_with(x.as_str()))
        || tagged(&s.list_owner_tags))
        && machine;
    let noreply_tag = tagged(&s.list_noreply_tags);
    // The list's own address with a tag ("main+calendar@" beside Sender
    // "main@"): its calendar, its digests, its notices. A tag with digits
    // ("main+344f5c@") is a member's address rewritten for DMARC: a post.
    let domain = msg.email_from().rsplit_once('@').map_or("", |(_, d)| d);
    let tagged_list = tag.is_some_and(|t| !t.bytes().any(|b| b.is_ascii_digit()))
        && msg.header("Sender").is_some_and(|s| {
            s.trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
                .eq_ignore_ascii_case(&format!("{base}@{domain}"))
        })
        && machine;
    (admin || owner_notice || noreply_tag || tagged_list).then(|| msg.email_from().to_string())
}

/// RFC 3464 delivery status, RFC 5965 ARF, RFC 3798 MDN, and the classic
/// bounce senders (RFC 5321 postmaster, MAILER-DAEMON).
fn report(msg: &Message) -> Option<String> {
    let report = msg.mime_types.iter().find(|t| {
        matches!(
            t.as_str(),
            "multipart/report"
                | "message/delivery-status"
                | "message/global-delivery-status"
                | "message/feedback-report"
                | "message/disposition-notification"
        )
    });
    if let Some(t) = report {
        return Some(t.clone());
    }
    let local = msg.email_from().split('@').next().unwrap_or("");
    if local.eq_ignore_ascii_case("mailer-daemon") || local.eq_ignore_ascii_case("postmaster") {
        return Some(msg.email_from().to_string());
    }
    if msg.has_header("X-Failed-Recipients") {
        return Some("X-Failed-Recipients".to_string());
    }
    bounce_subject(&msg.subject).map(str::to_string)
}

/// Subjects that bounce software writes (never a person's "Re:" or "Fwd:").
fn bounce_subject(subject: &str) -> Option<&'static str> {
    let s = subject.trim().to_lowercase();
    SENDERS
        .bounce_subjects
        .iter()
        .find(|b| s.starts_with(b.as_str()))
        .map(String::as_str)
}

/// A list where people talk: it has a posting address or is run by list
/// software. A List-Id alone with `List-Post: NO` is an announcement list,
/// unless list software runs it (a moderated list),
/// and Discourse mail without a post id is a summary, not a post.
fn human_list(msg: &Message, ctx: &Context) -> Option<String> {
    let list_post = msg.header("List-Post").map(str::trim);
    let posting = list_post.is_some_and(|v| !v.eq_ignore_ascii_case("NO") && !v.is_empty());
    if msg.has_header("X-Discourse-Post-Id") {
        return Some("Discourse post (X-Discourse-Post-Id)".into());
    }
    // Discourse names a post's mail `topic/<topic>/<post>@host`.
    if msg.has_header("X-Discourse-Topic-Id") && is_discourse_post_id(&msg.message_id) {
        return Some("Discourse post (Message-ID topic/<topic>/<post>)".into());
    }
    if msg.has_header("X-Discourse-Topic-Id")
        || msg.email_from().starts_with("noreply@") && ctx.list_id.is_none()
    {
        return None;
    }
    if is_list_digest(msg, ctx) {
        return Some("list digest".into());
    }
    if msg.has_header("List-Id") {
        // Bulk mailers (Mailchimp and the like) send a List-Id too, but no
        // List-Post and no list software's own headers. A moderated list run
        // by list software still carries people's posts, even when it says
        // `List-Post: NO` (only moderators may post).
        let software = SENDERS
            .list_software_headers
            .iter()
            .any(|h| msg.has_header(h));
        if software {
            return Some("RFC 2919 List-Id, run by list software".into());
        }
        if posting {
            return Some("RFC 2919 List-Id".into());
        }
        return None;
    }
    if listserv_sender(msg).is_some() {
        return Some("L-Soft LISTSERV (Sender is the list)".into());
    }
    match msg.archived {
        Some(Archived::HiddenAddress) => {
            return Some("a list's archive (pipermail writes From as \"user at host\")".into());
        }
        Some(Archived::VolumeFile) => {
            return Some("a list's archive (read from a file named as Mailman names an archive's volume, \"2008-March.txt\")".into());
        }
        None => {}
    }
    if msg.has_header("Mailing-list") || msg.has_header("X-Google-Group-Id") {
        return Some("Google Groups (Mailing-list)".into());
    }
    for h in &SENDERS.list_software_headers {
        if msg.has_header(h) && ctx.list_id.is_some() {
            return Some(format!("list software header {h}"));
        }
    }
    posting.then(|| "RFC 2369 List-Post".into())
}

/// `topic/<n>/<n>@host`: the Message-ID Discourse gives a post's mail.
fn is_discourse_post_id(id: &str) -> bool {
    let Some((local, _)) = id.split_once('@') else {
        return false;
    };
    let mut parts = local.split('/');
    parts.next() == Some("topic")
        && parts
            .next()
            .is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .next()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_none()
}

/// A list's digest as one text (Google Groups' "Digest for x - 5 updates
/// in 2 topics", groups.io's "Digest #1187", Mailman's plain-text digest):
/// the software's summary. A MIME digest (`multipart/digest`, each post a
/// `message/rfc822` of its own) carries the posts themselves: list mail.
fn text_digest(msg: &Message, ctx: &Context) -> Option<String> {
    let mime = msg
        .mime_types
        .iter()
        .any(|t| t == "multipart/digest" || t == "message/rfc822");
    if mime || ctx.list_id.is_none() && !list_shaped(msg.email_from()) || !sent_by_list(msg, ctx) {
        return None;
    }
    let s = msg.subject.to_lowercase();
    let shapes = &*LIST_SHAPES;
    let said = shapes
        .digest_subjects
        .iter()
        .chain(&shapes.digest_counts)
        .any(|d| s.contains(d.as_str()));
    (said || is_list_digest(msg, ctx)).then(|| msg.subject.clone())
}

/// The sender's address is their own name's: "Marcus Feld" at marcus@,
/// feld@, marcus.feld@ or mfeld@.
fn persons_own_address(msg: &Message) -> bool {
    let Some(from) = msg.from.as_ref() else {
        return false;
    };
    let fold = |w: &str| crate::subjects::fold(w).to_lowercase();
    let names: Vec<String> = from
        .name
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .map(fold)
        .collect();
    let local = fold(msg.email_from().split('@').next().unwrap_or(""));
    let (Some(first), Some(last)) = (names.first(), names.last()) else {
        return false;
    };
    let initial = first.chars().next().map(String::from).unwrap_or_default();
    local
        .split(['.', '_', '-'])
        .any(|t| names.iter().any(|n| n == t))
        || (names.len() >= 2 && local == format!("{initial}{last}"))
}

/// Sent by the list itself, not by a member: from its -request, -bounces,
/// -owner or -admin address, or from the list's own name ("x@googlegroups",
/// "x+owner@groups.io" for the list `x.googlegroups...`). A member's reply
/// that keeps a digest's subject ("Re: R-devel Digest, Vol 3, Issue 23",
/// "[Was: R-devel Digest, ...]") is that member's post.
fn sent_by_list(msg: &Message, ctx: &Context) -> bool {
    let local = msg
        .email_from()
        .split('@')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let base = local.split('+').next().unwrap_or("");
    ["-request", "-bounces", "-owner", "-admin"]
        .iter()
        .any(|s| base.ends_with(s))
        || ctx
            .list_id
            .as_deref()
            .and_then(|id| id.split(['.', '@']).next())
            .is_some_and(|name| !name.is_empty() && name == base)
}

/// Mailman's digests: "Listname Digest, Vol 12, Issue 3".
fn subject_is_digest(subject: &str) -> bool {
    let s = subject.to_ascii_lowercase();
    s.contains("digest, vol") || s.contains("digest vol ") || s.ends_with(" digest")
}

/// A list's digest of its posts: RFC 2046 `multipart/digest`, or Mailman's
/// subject ("X Digest, Vol 7, Issue 9"; translated, "Resumen de X, Vol 7,
/// Envío 9"), whoever sends it (Mailman sends from `list-request@`).
fn is_list_digest(msg: &Message, ctx: &Context) -> bool {
    let numbered = || {
        let s = msg.subject.to_lowercase();
        s.split(", vol ").nth(1).is_some_and(|rest| {
            rest.starts_with(|c: char| c.is_ascii_digit()) && rest.contains(", ")
        })
    };
    msg.mime_types.iter().any(|t| t == "multipart/digest")
        || ctx.list_id.is_some() && (subject_is_digest(&msg.subject) || numbered())
}

/// RFC 3834 and the conventions that came before it.
fn automated(msg: &Message) -> Option<(&'static str, String)> {
    if let Some(v) = msg
        .header("Auto-Submitted")
        .filter(|v| !v.trim().eq_ignore_ascii_case("no"))
    {
        return Some(("RFC 3834 Auto-Submitted", v.to_string()));
    }
    // The receiving server's spam filter (SpamAssassin, Rspamd) said spam.
    for h in ["X-Spam-Flag", "X-Spam-Status", "X-Spam"] {
        if let Some(v) = msg.header(h)
            && v.trim_start()
                .get(..3)
                .is_some_and(|y| y.eq_ignore_ascii_case("yes"))
        {
            return Some(("marked spam by the mail server", format!("{h}: {v}")));
        }
    }
    for h in [
        "X-Autoreply",
        "X-Autorespond",
        "X-Auto-Reply",
        "X-MS-Exchange-Generated-Message-Source",
    ] {
        if let Some(v) = msg.header(h) {
            return Some(("auto-reply header", format!("{h}: {v}")));
        }
    }
    if let Some(v) = msg.header("Precedence")
        && ["bulk", "junk", "list", "auto_reply"]
            .iter()
            .any(|p| v.trim().eq_ignore_ascii_case(p))
    {
        return Some(("Precedence header", v.to_string()));
    }
    if let Some(p) = auto_reply_subject(&msg.subject) {
        return Some(("auto-reply subject", p.to_string()));
    }
    let domain = msg.email_from().rsplit('@').next().unwrap_or("");
    if social_network(domain) {
        return Some(("social network notification", msg.email_from().to_string()));
    }
    if no_reply_sender(msg.email_from()) {
        return Some((
            "no-reply or notification sender",
            msg.email_from().to_string(),
        ));
    }
    if msg.has_header("List-Unsubscribe") {
        return Some((
            "newsletter (List-Unsubscribe, no list to post to)",
            msg.subject.clone(),
        ));
    }
    for h in &SENDERS.bulk_headers {
        if msg.has_header(h) {
            return Some(("bulk mailer header", h.to_string()));
        }
    }
    // A sending service's headers: bulk mail, unless a person sends through
    // it from their own address (a small firm's mail goes out by SES too).
    for h in &SENDERS.sending_service_headers {
        if msg.has_header(h) && !persons_own_address(msg) {
            return Some(("bulk mailer header", h.to_string()));
        }
    }
    if let Some(why) = blog_system_mail(msg) {
        return Some(("the blog's own mail", why));
    }
    None
}

/// Mail providers whose domain many people share: a Message-ID there
/// says nothing about whose message it is.
pub(crate) fn shared_mail_domain(domain: &str) -> bool {
    crate::lang::one_of(&SENDERS.shared_mail_domains, domain)
}

/// Social networks mail their members about activity there; a reader on
/// the owner's blog or list is not among them.
pub(crate) fn social_network(domain: &str) -> bool {
    // Any label but the last: "mail.instagram.com", "x.com", "mastodon.social".
    let labels: Vec<&str> = domain.split('.').collect();
    let x = domain == "x.com" || domain.ends_with(".x.com");
    x || labels.len() > 1
        && labels[..labels.len() - 1]
            .iter()
            .any(|l| crate::lang::one_of(&SENDERS.social_networks, l))
}

/// Subject prefixes mail clients and servers put on automatic replies.
fn auto_reply_subject(subject: &str) -> Option<&'static str> {
    let s = subject.trim().to_lowercase();
    SENDERS
        .auto_reply_prefixes
        .iter()
        .find(|p| s.starts_with(p.as_str()))
        .map(String::as_str)
}

/// Addresses people do not write from.
pub(crate) fn no_reply_sender(email: &str) -> bool {
    let local = email.split('@').next().unwrap_or("").to_ascii_lowercase();
    let l = local.replace(['-', '_', '.'], "");
    let s = &*SENDERS;
    s.no_reply_contains.iter().any(|p| l.contains(p.as_str()))
        || s.no_reply_starts.iter().any(|p| l.starts_with(p.as_str()))
        || crate::lang::one_of(&s.no_reply_locals, &l)
}

/// WordPress's other mail (password resets, updates, recovery mode, new
/// users) comes from the same `wordpress@` sender as its notifications.
fn blog_system_mail(msg: &Message) -> Option<String> {
    let from = msg.email_from();
    if from.starts_with("wordpress@") {
        return Some(msg.subject.clone());
    }
    let t = msg.text.to_ascii_lowercase();
    (t.contains("wp-login.php") || t.contains("/wp-admin/")).then(|| msg.subject.clone())
}

/// The site behind a pingback or trackback: WordPress writes `Website: NAME
/// (IP address: ...)` and `URL: ...` in the notification; else the person
/// behind the notification, else the sender.
pub(crate) fn linking_site(msg: &Message, ctx: &Context) -> Site {
    let field = |name: &str| {
        msg.text
            .lines()
            .find_map(|l| l.trim().strip_prefix(name).map(str::trim))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let name = field("Website:")
        .map(|w| w.split(" (IP address").next().unwrap_or("").to_string())
        .filter(|w| !w.trim().is_empty())
        .or_else(|| {
            ctx.author
                .as_ref()
                .map(|a| a.name.clone())
                .filter(|n| !n.trim().is_empty())
        })
        .or_else(|| {
            msg.from
                .as_ref()
                .map(|a| a.name.clone())
                .filter(|n| !n.trim().is_empty())
        })
        .or_else(|| {
            ctx.author
                .as_ref()
                .map(|a| a.email.clone())
                .filter(|e| e.contains('@'))
        })
        .unwrap_or_else(|| msg.email_from().to_string());
    Site {
        name: crate::text::clip(&name, 80),
        url: field("URL:").as_deref().and_then(crate::text::safe_link),
    }
}

/// The writer's own words: for a notification, the comment itself.
pub(crate) fn writer_text(
    msg: &Message,
    source: Source,
    notice: Option<&Notice>,
    context: &Context,
) -> String {
    // A contact form's relay (judged a comment, or mail from a person
    // through it): the visitor's message, without the form's labels.
    if notice.is_none()
        && matches!(source, Source::Direct | Source::Comment)
        && context.contact_form
    {
        return form_message(&msg.text);
    }
    match notice {
        Some(n)
            if matches!(source, Source::Comment | Source::Pingback | Source::Own)
                && !n.words.is_empty() =>
        {
            n.words.clone()
        }
        Some(_) if matches!(source, Source::Comment | Source::Pingback | Source::Own) => {
            super::platforms::without_platform_lines(&msg.text)
        }
        _ => msg.text.clone(),
    }
}

/// The visitor's message in a contact form mail: after "Message Body:" or
/// "Message:", up to the form's "-- " footer.
fn form_message(text: &str) -> String {
    let lower = text.to_lowercase();
    let start = ["message body:", "message:", "comment:", "nachricht:"]
        .iter()
        .filter_map(|l| lower.find(l).map(|at| at + l.len()))
        .min();
    let Some(start) = start.filter(|s| text.is_char_boundary(*s)) else {
        return text.to_string();
    };
    let rest = &text[start..];
    let end = rest.find("\n-- ").unwrap_or(rest.len());
    rest[..end].trim().to_string()
}

/// Unsolicited bulk mail dressed as a person: SEO and link-selling offers,
/// phishing ("verify your account" from a look-alike domain), advance-fee
/// fraud. Strong cues weigh two, weak ones (words a reader may use about a
/// subject: "crypto", "PayPal") one; three make spam.
pub(crate) fn spam(msg: &Message, owner: &Owner) -> Option<String> {
    // A person forwarding or quoting spam to ask about it is not spam: judge
    // the writer's own words, and the subject unless it is a reply or forward.
    let own = super::own_words(&msg.text);
    let subject = if is_reply_subject(&msg.subject) {
        ""
    } else {
        msg.subject.as_str()
    };
    let mut cues = spam_cues(&format!("{subject}\n{own}"));
    if lookalike_domain(msg.email_from()) {
        cues.push("look-alike sender domain");
    }
    if owners_domain_hyphened(msg.email_from(), owner) {
        cues.push("the owner's own domain name hyphened into another");
    }
    if greets_mailbox(&own, owner) {
        cues.push("greets the owner by mailbox name");
    }
    is_spam(&cues).then(|| cues.join(", "))
}

/// "Dear rellis,": a person greets the owner by name; a phisher who only
/// has the address greets its local part.
fn greets_mailbox(text: &str, owner: &Owner) -> bool {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
        .to_lowercase();
    let names = owner.names().name_words();
    owner.addresses.iter().any(|a| {
        let local = a.split('@').next().unwrap_or("").to_lowercase();
        local.len() > 2
            && !names.contains(&local)
            && ["dear ", "hello ", "hi "].iter().any(|g| {
                first
                    .strip_prefix(g)
                    .is_some_and(|r| r.trim_end_matches([',', ':', '!']).trim() == local)
            })
    })
}

/// Code hosts and trackers (GitHub, GitLab, Gitea, Bugzilla, Jira, ...)
/// send a List-Id and List-Archive like a list, but a person's words there
/// are the service's notification: their own X-<Service>-* headers say so.
fn service_notification(msg: &Message) -> Option<String> {
    msg.headers
        .iter()
        .find(|(k, _)| {
            let k = k.to_ascii_lowercase();
            SENDERS
                .service_header_prefixes
                .iter()
                .any(|p| k.starts_with(p.as_str()))
        })
        .map(|(k, v)| format!("{k}: {v}"))
}

/// Receipts, invoices, booking confirmations: a role address (billing@,
/// orders@) or several fields of a transaction ("Invoice: ...", "Amount:").
fn transactional(msg: &Message) -> Option<String> {
    let fields: Vec<&str> = msg
        .text
        .lines()
        .filter_map(|l| l.trim().split_once(':'))
        .map(|(k, _)| k.trim())
        .filter(|k| crate::lang::one_of(&SENDERS.transaction_fields, &k.to_lowercase()))
        .collect();
    let local = msg.email_from().split('@').next().unwrap_or("");
    let role = role_sender(local);
    let conversation = is_reply_subject(&msg.subject);
    (!conversation && (fields.len() >= 3 || (role && fields.len() >= 2)))
        .then(|| format!("{} ({})", msg.email_from(), fields.join(", ")))
}

/// Does a subject open as a reply or a forward does, in the languages of
/// mail clients ("Re:", "Fwd:", "AW:", "WG:", "TR:", "RV:", "SV:")?
pub(crate) fn is_reply_subject(subject: &str) -> bool {
    let s = subject.trim_start().to_lowercase();
    ["re:", "fwd:", "fw:", "aw:", "wg:", "tr:", "rv:", "sv:"]
        .iter()
        .any(|p| s.starts_with(p))
}

/// Lines only services write: account security notices ("If this wasn't
/// you"), bulk mail's "View this email in your browser", "This is an
/// automated message". A person's reply or forward that quotes them is
/// judged on its own words, so replies and forwards are left alone.
fn service_boilerplate(msg: &Message) -> Option<&'static str> {
    if is_reply_subject(&msg.subject) {
        return None;
    }
    let own = super::own_words(&msg.text).to_lowercase();
    SENDERS
        .service_lines
        .iter()
        .find(|l| own.contains(l.as_str()))
        .map(String::as_str)
}

/// Mailboxes of a function, not a person.
fn role_sender(local: &str) -> bool {
    let l = local.to_ascii_lowercase().replace(['-', '_', '.'], "");
    crate::lang::one_of(&SENDERS.role_senders, &l)
}

/// What a spam comment looks like whatever its language, each a weak cue:
/// a name that is an advertisement ("best vpn deals 2025": digits, or
/// words in lower case; "Traslochi Milano Economici" of
/// traslochi-milano-economici.example: the business its address is) and a
/// link in the comment itself.
const NAME_WITH_DIGITS: &str = "the commenter's name has digits";
const NAME_OF_KEYWORDS: &str = "the commenter's name reads as keywords";
const NAME_IS_DOMAIN: &str = "the commenter's name is their address's domain";
const LINK_IN_COMMENT: &str = "a link in the comment";
const ANONYMOUS: &str = "an anonymous commenter";

fn comment_spam_shape(name: &str, email: &str, words: &str) -> Vec<&'static str> {
    let mut cues = Vec::new();
    if name.chars().any(|c| c.is_ascii_digit()) {
        cues.push(NAME_WITH_DIGITS);
    }
    let parts: Vec<&str> = name.split_whitespace().collect();
    // "casino_bonus_pt": words joined as a handle are keywords too.
    let joined = parts.len() == 1 && name.split('_').filter(|w| w.len() >= 2).count() >= 2;
    let lower = !name.chars().any(char::is_uppercase);
    let several = parts.len() >= 2 && parts.iter().any(|w| w.chars().any(char::is_alphabetic));
    if lower && (joined || several) {
        cues.push(NAME_OF_KEYWORDS);
    }
    if name_is_domain(&parts, email) {
        cues.push(NAME_IS_DOMAIN);
    }
    if words.contains("http://") || words.contains("https://") || words.contains("www.") {
        cues.push(LINK_IN_COMMENT);
    }
    let anonymous = [
        "anonymous",
        "anónimo",
        "anônimo",
        "anonimo",
        "anonyme",
        "anonym",
    ];
    if anonymous.contains(&name.trim().to_lowercase().as_str()) {
        cues.push(ANONYMOUS);
    }
    cues
}

/// Two words of the name or more, and most of them, spelled in the
/// domain of the address: a business, not a person ("Best Essay Writers"
/// of top-essay-writers.example). A person's own domain holds one or two
/// of their names; it counts only beside other cues.
fn name_is_domain(parts: &[&str], email: &str) -> bool {
    let Some((_, domain)) = email.rsplit_once('@') else {
        return false;
    };
    let domain = crate::subjects::fold(domain);
    let long: Vec<String> = parts
        .iter()
        .map(|w| crate::subjects::fold(w.trim_matches(|c: char| !c.is_alphanumeric())))
        .filter(|w| w.chars().count() >= 3)
        .collect();
    let inside = long.iter().filter(|w| domain.contains(w.as_str())).count();
    long.len() >= 2 && inside >= 2 && inside * 3 >= long.len() * 2
}

/// Strong cues count two, weak ones one: three is spam.
pub(crate) fn is_spam(cues: &[&str]) -> bool {
    let weak = &crate::lang::WORDS.spam.weak;
    let shape = [
        NAME_WITH_DIGITS,
        NAME_OF_KEYWORDS,
        NAME_IS_DOMAIN,
        LINK_IN_COMMENT,
        ANONYMOUS,
    ];
    let score: usize = cues
        .iter()
        .map(|c| {
            if weak.iter().any(|w| w == c) || shape.contains(c) {
                1
            } else {
                2
            }
        })
        .sum();
    score >= 3
}

/// The spam cues found in a text, each counted once: strong phrases as
/// substrings, weak words only as whole words (a weak "crédit" is not in
/// "crédito").
pub(crate) fn spam_cues(text: &str) -> Vec<&'static str> {
    static STRONG_CUES: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(crate::lang::phrases(&crate::lang::WORDS.spam.strong)));
    static WEAK_CUES: LazyLock<Phrases> =
        LazyLock::new(|| Phrases::new(crate::lang::phrases(&crate::lang::WORDS.spam.weak)));
    let t = text.to_lowercase();
    let mut found = STRONG_CUES.found_in(&t);
    for w in WEAK_CUES.found_in(&t) {
        let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        let whole = !w.starts_with(|c: char| c.is_alphanumeric())
            || t.match_indices(w).any(|(i, _)| {
                edge(t[..i].chars().next_back()) && edge(t[i + w.len()..].chars().next())
            });
        if whole {
            found.push(w);
        }
    }
    if (t.contains("http") || t.contains("][1]"))
        && (t.contains("% full") || t.contains("quota"))
        && (t.contains("mailbox") || t.contains("storage") || t.contains("account"))
    {
        found.push("quota warning with a link");
    }
    if greets_a_website(&t) {
        found.push("greets a website, not a person");
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// "Hello endgamehour.example Team,": a bulk sender greets the site it
/// found, as a person writing never would. Lower-case text.
fn greets_a_website(t: &str) -> bool {
    static GREETING: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"\A\s*(hello|hi|hey|dear|greetings|hola|hallo|bonjour|olá|ciao|buongiorno)\s+(www\.)?[a-z0-9-]{3,}\.[a-z]{2,}(\.[a-z]{2,})?\b",
        )
        .expect("static regex")
    });
    GREETING.is_match(t)
}

/// A sender domain that swaps a letter for a digit ("mailh0st", "paypa1"),
/// or hyphens an account chore onto a name ("patreon-payout-verify",
/// "apple-id-secure"): the phisher's habits. A service puts such words in
/// a subdomain of its own ("accounts.example"), not in a hyphened name.
fn lookalike_domain(email: &str) -> bool {
    let domain = email.rsplit('@').next().unwrap_or("");
    hyphened_part(domain, |part| {
        crate::lang::one_of(&SENDERS.phishing_chores, part)
    }) || domain.split(['.', '-']).any(|label| {
        let b = label.as_bytes();
        b.windows(3).any(|w| {
            w[0].is_ascii_alphabetic() && matches!(w[1], b'0' | b'1') && w[2].is_ascii_alphabetic()
        })
    })
}

/// "support@escapement-mailadmin.example" to odile@escapement.example: the
/// name of the owner's own domain hyphened into another one, as a phisher
/// dresses up as the owner's mail administrator. The owner's mail provider
/// writes from its own domain.
fn owners_domain_hyphened(email: &str, owner: &Owner) -> bool {
    let domain = email.rsplit('@').next().unwrap_or("").to_ascii_lowercase();
    owner.domains().any(|own| {
        let own = own.to_ascii_lowercase();
        let name = own.split('.').next().unwrap_or("");
        domain != own && name.len() >= 3 && hyphened_part(&domain, |part| part == name)
    })
}

/// Does a hyphened label of `domain` ("apple-id-secure" in
/// "apple-id-secure.example") have a part that `is` one sought?
fn hyphened_part(domain: &str, is: impl Fn(&str) -> bool) -> bool {
    domain
        .split('.')
        .any(|label| label.contains('-') && label.split('-').any(&is))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Owner;

    #[test]
    fn an_import_counts_a_tag_over_threads_and_senders_as_the_refresh_does() {
        let mail = |n: usize, from: &str, reply_to: Option<usize>| {
            let irt = reply_to.map_or(String::new(), |r| {
                format!("In-Reply-To: <t{r}@x.example>\n")
            });
            crate::message::parse(
                format!("From: {from}\nSubject: [Stats] question {n}\nMessage-ID: <t{n}@x.example>\n{irt}\nhi\n")
                    .as_bytes(),
            )
        };
        let tally = TagTally::default();
        // Four threads from four people, and a reply in the first: not yet.
        for n in 0..4 {
            assert!(
                !tally.heads_a_list(&mail(n, &format!("m{n}@x.example"), None), Source::Direct)
            );
        }
        assert!(!tally.heads_a_list(&mail(10, "m9@x.example", Some(0)), Source::Direct));
        // Automated mail with the tag is not counted.
        assert!(!tally.heads_a_list(&mail(11, "bot@x.example", None), Source::Automated));
        // The fifth thread: the list's. A list post counts, and needs no fact.
        assert!(tally.heads_a_list(&mail(4, "m4@x.example", None), Source::Direct));
        assert!(!tally.heads_a_list(&mail(5, "m5@x.example", None), Source::List));
        // One sender's many threads (a site's relay) are no list.
        let relay = TagTally::default();
        for n in 0..8 {
            assert!(!relay.heads_a_list(&mail(n, "site@x.example", None), Source::Direct));
        }
    }

    fn owner() -> Owner {
        Owner::new("Robin Ellis", &["robin@ellis-on-it.example"])
    }

    #[test]
    fn phishing_cues_count_and_a_readers_ordinary_words_do_not() {
        assert!(is_spam(&spam_cues(
            "Action required: your site will be suspended. To avoid suspension of your site within 24 hours, verify now"
        )));
        for prose in [
            "Loved the piece on the rear suspension of your MGB!!!",
            "We were a week from home when the clutch went. Cheap fix, though.",
            "The rally will be suspended if it rains; members get a discount.",
        ] {
            assert!(
                !is_spam(&spam_cues(prose)),
                "{prose}: {:?}",
                spam_cues(prose)
            );
        }
    }

    #[test]
    fn a_held_comment_shaped_like_spam_is_spam_in_any_language() {
        let held = |author: &str, words: &str| held_from(author, "a@b.example", words);
        // A name of keywords and digits, and a link: spam whatever the words.
        let (src, _) = judge(&held(
            "best passive income 2025",
            "Great post! Do you accept guest posts? See https://hub.example/top-10",
        ));
        assert_eq!(src, Source::Automated);
        let (src, _) = judge(&held(
            "Prestiti Veloci",
            "Articolo interessante! Clicca sul nostro sito per un preventivo.",
        ));
        assert_eq!(src, Source::Automated);
        // A reader with a link to a source is a reader.
        let (src, _) = judge(&held(
            "Ana Souza",
            "The study you cite is here: https://journal.example/a/1 - does it change your view?",
        ));
        assert_eq!(src, Source::Comment);
    }

    #[test]
    fn a_lists_moderation_request_from_its_owner_address_is_the_software_writing() {
        let request = |precedence: &str, to: &str| {
            format!(
                "From: clubchat-owner@lists.club.example\nTo: {to}\n{precedence}Subject: Clubchat post from a@b.example requires approval\nMessage-ID: <m@club.example>\nList-Id: <clubchat.lists.club.example>\n\nAs list administrator, your authorization is requested for the\nfollowing mailing list posting:\n\n    Subject: Anyone want a free set of pieces?\n"
            )
        };
        // Precedence: bulk, or the owners' own address as the recipient.
        let (src, _) = judge(&request("Precedence: bulk\n", "robin@ellis-on-it.example"));
        assert_eq!(src, Source::Automated);
        let (src, _) = judge(&request("", "clubchat-owner@lists.club.example"));
        assert_eq!(src, Source::Automated);
        // A moderator writing from the owner address to a person is a person.
        let (src, _) = judge(&request("", "robin@ellis-on-it.example"));
        assert_ne!(src, Source::Automated);
    }

    #[test]
    fn a_text_digest_is_the_lists_summary_but_a_member_keeping_its_subject_is_a_member() {
        let mail = |from: &str, subject: &str| {
            format!(
                "From: {from}\nTo: robin@ellis-on-it.example\nSubject: {subject}\nMessage-ID: <d@lists.example>\nList-Id: <r-devel.lists.example>\nList-Post: <mailto:r-devel@lists.example>\n\nToday's topics:\n\n1. Does anyone build on ARM? (Ann)\n"
            )
        };
        let (src, _) = judge(&mail(
            "r-devel-request@lists.example",
            "R-devel Digest, Vol 3, Issue 23",
        ));
        assert_eq!(src, Source::Automated);
        let (src, _) = judge(&mail(
            "r-devel@lists.example",
            "Digest for r-devel - 5 updates in 2 topics",
        ));
        assert_eq!(src, Source::Automated);
        let (src, _) = judge(&mail(
            "ann@uni.example",
            "Re: R-devel Digest, Vol 3, Issue 23",
        ));
        assert_eq!(src, Source::List);
        let (src, _) = judge(&mail(
            "ann@uni.example",
            "ARM builds [Was: R-devel Digest, Vol 83, Issue 2]",
        ));
        assert_eq!(src, Source::List);
    }

    #[test]
    fn a_member_post_from_a_rewritten_list_address_is_a_post_and_list_noreply_is_the_software() {
        let post = "From: \"Walt Kessler via groups.example\" <pens+344f5c@groups.example>\nTo: pens@groups.example\nSender: pens@groups.example\nSubject: Re: [pens] Diaphragms\nMessage-ID: <w@groups.example>\nList-Id: <pens.groups.example>\nList-Post: <mailto:pens@groups.example>\nPrecedence: Bulk\n\nRobin - Bertram's still had them in August.\n";
        let (got, ctx) = judge(post);
        assert_eq!(got, Source::List, "{ctx:?}");
        let calendar = post.replace("pens+344f5c@", "pens+calendar@");
        assert_eq!(judge(&calendar).0, Source::Automated);
        let moderation = "From: Reviewers <reviewers+noreply@groups.example>\nTo: robin@ellis-on-it.example\nSubject: Reviewers: 2 messages pending your approval\nMessage-ID: <m@groups.example>\n\nThere are 2 messages pending your approval.\n";
        assert_eq!(judge(moderation).0, Source::Automated);
        let confirm = "From: pens-confirm+1f4c0a77e9b3@lists.example\nTo: robin@ellis-on-it.example\nSubject: Your confirmation is needed to join the pens list\nMessage-ID: <c@lists.example>\nList-Id: <pens.lists.example>\n\nWe have received a registration request for your address.\n";
        assert_eq!(judge(confirm).0, Source::Automated);
    }

    fn held_from(author: &str, email: &str, words: &str) -> String {
        format!(
            "From: WordPress <wordpress@blog.example>\r\nSubject: [Blog] Please moderate: \"Post\"\r\nMessage-ID: <h@blog.example>\r\n\r\nA new comment on the post \"Post\" is waiting for your approval\r\nhttps://blog.example/post/\r\n\r\nAuthor: {author} (IP address: 192.0.2.1, host.example)\r\nEmail: {email}\r\nURL: \r\nComment: \r\n{words}\r\n\r\nApprove it: https://blog.example/wp-admin/comment.php?action=approve&c=7\r\n"
        )
    }

    #[test]
    fn essay_mills_are_spam() {
        for cue in ["assignment help", "essay writing service", "write my essay"] {
            let text = format!("Great post! Students, for {cue} visit our site today.");
            assert!(spam_cues(&text).contains(&cue), "{cue}");
        }
        assert!(is_spam(&spam_cues(
            "Nice blog. Need assignment help? Our essay writing service is cheap."
        )));
        assert!(!is_spam(&spam_cues(
            "Could you write about how to help with a school assignment on caves?"
        )));
    }

    #[test]
    fn a_business_selling_in_a_comment_is_spam_and_a_person_with_a_site_is_not() {
        // The name is the address's domain, and the comment sells.
        let (src, _) = judge(&held_from(
            "Mudanzas Rápidas Centro",
            "info@mudanzas-rapidas-centro.example",
            "¡Muy buen artículo! Ofrecemos mudanzas económicas, presupuesto sin compromiso.",
        ));
        assert_eq!(src, Source::Automated);
        // Two words in lower case, and followers for sale.
        let (src, _) = judge(&held_from(
            "followers baratos",
            "x@y.example",
            "😍 Quieres más seguidores? https://y.example/compra",
        ));
        assert_eq!(src, Source::Automated);
        // A reader whose own site bears her name, with a link to it.
        let (src, _) = judge(&held_from(
            "Ana Souza",
            "ana@anasouza.example",
            "I wrote up how our school did it: https://anasouza.example/escola - would you agree?",
        ));
        assert_eq!(src, Source::Comment);
    }

    fn judge(raw: &str) -> (Source, Context) {
        let msg = crate::message::parse(raw.as_bytes());
        let n = super::super::platforms::notice(&msg);
        let ctx = context(&msg, n.as_ref());
        (
            source(&msg, &owner(), false, &ctx, n.as_ref(), &mut Vec::new()),
            ctx,
        )
    }

    #[test]
    fn list_id_is_grouped_by_the_full_id() {
        assert_eq!(
            parse_list_id("\"Rural nets\" <Rural-Net.Lists.Example>"),
            (
                Some("Rural nets".to_string()),
                "rural-net.lists.example".to_string()
            )
        );
        assert_eq!(
            parse_list_id("bare.id.example"),
            (None, "bare.id.example".to_string())
        );
    }

    #[test]
    fn lists_without_list_id_are_lists() {
        let listserv = "From: A <a@x.example>\nSender: Forum <FORUM-L@LISTSERV.X.EDU>\nReply-To: Forum <FORUM-L@LISTSERV.X.EDU>\nSubject: s\n\nhi";
        let (s, c) = judge(listserv);
        assert_eq!(s, Source::List);
        assert_eq!(c.list_id.as_deref(), Some("forum-l@listserv.x.edu"));
        assert_eq!(c.list_name.as_deref(), Some("Forum"));
        let gg = "From: A <a@x.example>\nMailing-list: list mesh@googlegroups.com; contact mesh+owners@googlegroups.com\nSubject: s\n\nhi";
        assert_eq!(judge(gg).0, Source::List);
    }

    #[test]
    fn an_export_without_list_headers_is_list_mail_by_its_address() {
        for (raw, id) in [
            (
                "From: Ann <ann@x.example>\nTo: r-devel@r-project.org\nSubject: Re: [Rd] S4 dispatch\n\nWorks for me.",
                "r-devel@r-project.org",
            ),
            (
                "From: Ann <ann@x.example>\nTo: Bo <bo@y.example>\nCc: mesh@googlegroups.com\nSubject: antennas\n\nSee above.",
                "mesh@googlegroups.com",
            ),
            (
                "From: Ann <ann@x.example>\nTo: netadmins@lists.example.org\nSubject: VLANs\n\nAnyone?",
                "netadmins@lists.example.org",
            ),
        ] {
            let (s, c) = judge(raw);
            assert_eq!(s, Source::List, "{raw}");
            assert_eq!(c.list_id.as_deref(), Some(id));
        }
        // People's and services' addresses that only look a little like lists.
        for raw in [
            "From: Ann <ann@x.example>\nTo: robin@ellis-on-it.example\nSubject: hi\n\nHello.",
            "From: Ann <ann@x.example>\nTo: help@shop.example\nSubject: order\n\nWhere is it?",
            "From: Ann <ann-users@x.example>\nTo: ann-users@x.example\nSubject: note to self\n\nx",
        ] {
            assert_eq!(judge(raw).0, Source::Direct, "{raw}");
        }
    }

    #[test]
    fn a_discourse_post_is_known_by_its_message_id_without_a_post_id_header() {
        let post = "From: marie via Forum <forum@f.example>\nMessage-ID: <topic/412/1877@f.example>\nList-Id: <seeds.f.example>\nAuto-Submitted: auto-generated\nX-Discourse-Topic-Id: 412\nSubject: [Forum] seeds\n\nAnyone in Lyon?";
        assert_eq!(judge(post).0, Source::List);
        // Topic mail that is no post (a summary, a notice) stays automated.
        for id in [
            "topic/412@f.example",
            "topic/412/x@f.example",
            "summary/412/1@f.example",
        ] {
            let raw = post.replace("topic/412/1877@f.example", id);
            assert_eq!(judge(&raw).0, Source::Automated, "{id}");
        }
    }

    #[test]
    fn a_spam_filter_saying_no_leaves_a_person_a_person() {
        let raw = "From: Ann <ann@x.example>\nX-Spam-Status: No, score=-1.2\nX-Spam-Flag: NO\nSubject: hi\n\nCould you write about seed oils?";
        assert_eq!(judge(raw).0, Source::Direct);
    }

    #[test]
    fn automated_mail_by_its_markers() {
        for raw in [
            "From: a@x.example\nAuto-Submitted: auto-replied\nSubject: Re: x\n\nAway.",
            "From: a@x.example\nPrecedence: bulk\nSubject: x\n\nNews.",
            "From: Ann <a@x.example>\nX-Spam-Flag: YES\nSubject: Your mailbox is full\n\nValidate your account.",
            "From: Ann <a@x.example>\nX-Spam-Status: Yes, score=9.7\nSubject: hi\n\nAre seed oils making you sick?",
            "From: No Reply <no-reply@x.example>\nSubject: Your receipt\n\nThanks for your order.",
            "From: News <jane@shop.example>\nList-Id: <123.list-id.mcsv.net>\nList-Unsubscribe: <https://u.example>\nSubject: Sale\n\nBuy.",
            "From: Support <security@paypa1-verify.example>\nSubject: Action required\n\nVerify your account now: http://x.example",
            "From: Ann <a@x.example>\nSubject: Undeliverable: hello\n\nThe message could not be delivered.",
        ] {
            assert_eq!(judge(raw).0, Source::Automated, "{raw}");
        }
        let person = "From: Ann <a@x.example>\nSubject: Fwd: is this spam?\n\nIs this legit?\n\n---------- Forwarded message ---------\nDear friend, you have won!!! Send your PayPal details.";
        assert_eq!(judge(person).0, Source::Direct);
    }
}

#[cfg(test)]
mod services {
    use super::*;
    use crate::config::Owner;

    fn judge(raw: &str) -> Source {
        let owner = Owner::new(
            "Robin Ellis",
            &["robin@ellis-on-it.example", "rellis@mailhost.example"],
        );
        let msg = crate::message::parse(raw.as_bytes());
        let n = super::super::platforms::notice(&msg);
        let ctx = context(&msg, n.as_ref());
        source(&msg, &owner, false, &ctx, n.as_ref(), &mut Vec::new())
    }

    #[test]
    fn a_sending_services_headers_are_bulk_unless_a_person_sends_from_their_own_address() {
        let mail = |from: &str| {
            format!(
                "From: {from}\nTo: robin@ellis-on-it.example\nSubject: Invoice 31\nX-SES-Outgoing: 2024.10.03-54.240.0.1\n\nHi Robin,\n\nInvoice attached.\n\nCheers,\nMarcus\n"
            )
        };
        assert_eq!(
            judge(&mail("Marcus Feld <marcus@feldaudio.example>")),
            Source::Direct
        );
        assert_eq!(
            judge(&mail("Marcus Feld <mfeld@feldaudio.example>")),
            Source::Direct
        );
        assert_eq!(
            judge(&mail("Feld Audio <billing@feldaudio.example>")),
            Source::Automated
        );
        // A list's owners' address with a tag writes for the software.
        let held = "From: vismig-uk+owners@googlegroups.example\nSubject: Your message awaits moderator approval\nAuto-Submitted: auto-replied\nX-Google-Group-Id: 8044\nMailing-list: list vismig-uk@googlegroups.example\n\nYour message is pending moderator approval.\n";
        assert_eq!(judge(held), Source::Automated);
    }

    #[test]
    fn comment_systems_other_than_wordpress_are_comments() {
        let disqus = "From: Disqus <notifications@disqus.example>\nSubject: Ann Lee commented on \"Boring networks\"\nList-Unsubscribe: <https://disqus.example/u>\n\nAnn Lee wrote, on \"Boring networks\":\n\nWhich UPS do you use?\n\nReply to Ann: https://disqus.example/t/x/20#reply\n";
        assert_eq!(judge(disqus), Source::Comment);
        let msg = crate::message::parse(disqus.as_bytes());
        let n = super::super::platforms::notice(&msg);
        assert_eq!(
            writer_text(
                &msg,
                Source::Comment,
                n.as_ref(),
                &context(&msg, n.as_ref())
            ),
            "Which UPS do you use?"
        );
        let ghost = "From: Letter <noreply@letter.example>\nSubject: New comment on your post: Three boxes\nContent-Type: text/html\n\n<p>Bo Ek left a comment on <a href=\"https://letter.example/three/\">Three boxes</a>:</p><p>Could you cover DNS next?</p><p><a href=\"https://letter.example/three/#ghost-comments\">View comment</a></p>";
        assert_eq!(judge(ghost), Source::Comment);
        let msg = crate::message::parse(ghost.as_bytes());
        let n = super::super::platforms::notice(&msg);
        assert!(
            writer_text(
                &msg,
                Source::Comment,
                n.as_ref(),
                &context(&msg, n.as_ref())
            )
            .starts_with("Could you cover DNS next?")
        );
    }

    #[test]
    fn services_receipts_and_phishing_are_automated() {
        for raw in [
            "From: Ann <notifications@github.example>\nList-ID: a/b <b.a.github.example>\nList-Archive: https://github.example/a/b\nX-GitHub-Reason: subscribed\nSubject: Re: [a/b] bug (#1)\n\n@robin did you restart it?",
            "From: billing@host.example\nSubject: Your receipt\n\nThanks for your payment.\nInvoice: 1\nAmount: EUR 5\n\nQuestions about your bill? Open a ticket at https://host.example/t",
            "From: admin@portal.example\nSubject: Mailbox full\n\nDear rellis,\n\nYour mailbox has reached 99% of its quota.\nDo you want to keep receiving mail? [Upgrade now][1]\n\n[1]: http://portal.example/login.php",
            "From: Acme <accounts@acme.example>\nSubject: New sign-in\n\nWe noticed a new sign-in. If this wasn't you, reset your password.",
        ] {
            assert_eq!(judge(raw), Source::Automated, "{raw}");
        }
        // A threat to the account from an "appeals" domain dressed as a platform.
        let appeal = "From: Instagram Support <support@meta-appeals-center.example>\nSubject: Your account has been reported\n\nHello @robin.ellis,\n\nWe have received a copyright complaint. Your account will be permanently deleted in 24 hours unless you submit an appeal.\n\nDo you think this is a mistake? Fill in the form below.";
        assert_eq!(judge(appeal), Source::Automated);
        let person = "From: Jo <info@bakery.example>\nSubject: a column idea\n\nHi Robin, could you write about card readers for small shops?\n\nJo";
        assert_eq!(judge(person), Source::Direct);
    }

    #[test]
    fn a_greeting_to_a_website_is_a_bulk_senders() {
        assert!(greets_a_website(
            "hello endgamehour.example team, are you looking to grow?"
        ));
        assert!(greets_a_website("hi www.shop.co.uk owner"));
        assert!(!greets_a_website("hello dr. smith, a question"));
        assert!(!greets_a_website(
            "hi thea, i read your post on example.com"
        ));
    }

    #[test]
    fn a_chore_hyphened_onto_a_sender_domain_is_a_look_alike() {
        for a in [
            "security@patreon-payout-verify.example",
            "no-reply@apple-id-secure.example",
            "x@mailh0st.example",
        ] {
            assert!(lookalike_domain(a), "{a}");
        }
        for a in [
            "security@accounts.example",
            "jo@verify.example",
            "jo@my-bakery.example",
            "noreply@login.secure.example",
        ] {
            assert!(!lookalike_domain(a), "{a}");
        }
        let owner = Owner::new("Odile M", &["odile@escapement.example"]);
        assert!(owners_domain_hyphened(
            "it@escapement-mailadmin.example",
            &owner
        ));
        assert!(!owners_domain_hyphened("jo@escapement.example", &owner));
        assert!(!owners_domain_hyphened(
            "jo@escapements-club.example",
            &owner
        ));
        assert!(!owners_domain_hyphened(
            "jo@mail.escapement.example",
            &owner
        ));
        // With a threat and an "action required", that is phishing.
        let phish = "From: Patreon Support <security@patreon-payout-verify.example>\nSubject: Action required: your payouts are on hold\n\nDear Creator,\nWhy is this happening? Verify my account within 48 hours. Failure to do so will result in permanent suspension.";
        assert_eq!(judge(phish), Source::Automated);
    }
}

#[cfg(test)]
mod social {
    #[test]
    fn social_networks_by_domain_label() {
        assert!(super::social_network("x.com"));
        assert!(super::social_network("mail.instagram.com"));
        assert!(!super::social_network("box.com"));
        assert!(!super::social_network("inbox.example"));
        assert!(!super::social_network("x.example"));
    }
}
