//! Judging one message: where it comes from, whether it asks the owner
//! something, and which topics it asks the owner to write about.
//!
//! Comes after `message.rs` (parsed mail) and `newtext.rs` (the writer's new
//! text); its result is stored beside the message and later read by
//! `digest.rs`. Every decision carries the rule that made it and the text it
//! was made on ([`Reason`]), which `allears explain` prints. What depends on
//! other messages (answered, threads, topic groups) is derived over the whole
//! store in `answered.rs`, `thread.rs` and `topics.rs`.

pub(crate) mod answered;
pub(crate) mod asks;
pub(crate) mod source;
pub(crate) mod topics;

use serde::{Deserialize, Serialize};

use crate::config::Owner;
use crate::message::{Address, Message};

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

    pub fn parse(s: &str) -> Source {
        match s {
            "comment" => Source::Comment,
            "pingback" => Source::Pingback,
            "list" => Source::List,
            "automated" => Source::Automated,
            "own" => Source::Own,
            _ => Source::Direct,
        }
    }
}

/// Which rule decided, and on what text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Reason {
    pub rule: String,
    pub text: String,
}

impl Reason {
    pub fn new(rule: &str, text: impl AsRef<str>) -> Reason {
        let text = text.as_ref().trim();
        let mut end = text.len().min(160);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Reason {
            rule: rule.to_string(),
            text: text[..end].to_string(),
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.text.is_empty() {
            write!(f, "{}", self.rule)
        } else {
            write!(f, "{}: {}", self.rule, self.text)
        }
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
    /// The person behind a notification (the commenter), to reply to.
    pub author: Option<Address>,
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

/// Judge one message. `sent` says it was found in the owner's sent mail.
pub(crate) fn classify(msg: &Message, owner: &Owner, sent: bool) -> Classification {
    let mut reasons = Vec::new();
    let context = source::context(msg);
    let source = source::source(msg, owner, sent, &context, &mut reasons);
    let body = source::writer_text(msg, source);
    let new = crate::newtext::new_text(&body);
    for cut in &new.cuts {
        reasons.push(Reason::new(&format!("newtext: {}", cut.rule), &cut.line));
    }
    let ask = asks::asks_owner(msg, owner, source, &new.text, &mut reasons);
    let topics = if matches!(source, Source::Own | Source::Automated) {
        Vec::new()
    } else {
        topics::requests(&new.text, msg, &mut reasons)
    };
    Classification {
        source,
        asks_owner: ask.asks,
        question: ask.question,
        topics,
        reasons,
        context,
    }
}
