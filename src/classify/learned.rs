//! What the owner taught: their corrections of "needs a reply" (`#12
//! not-for-me`, `#12 needs-reply`), applied over the rules' judgement.
//!
//! A correction remembers three things of the message it was made on: who
//! wrote it, where it came through (the list, the comment platform, or the
//! sender's domain for direct mail), and the words that asked (or should
//! have). Later mail is corrected the same way when two of the three match:
//! the same writer in the same place, or the same kind of words from the
//! same writer or place. One match alone (a reader who was once wrong
//! elsewhere, a common phrase) changes nothing. The correction's number is
//! in the reason, so `allears explain` says which one decided and
//! `allears corrections forget N` undoes it.

use std::collections::HashSet;

use super::{Ask, Context, Reason, Rule, Sentence, Source};

/// What a correction says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CorrectionKind {
    /// Mail like this does not need a reply.
    NotForMe,
    /// Mail like this needs a reply.
    NeedsReply,
}

impl CorrectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionKind::NotForMe => "not_for_me",
            CorrectionKind::NeedsReply => "needs_reply",
        }
    }
}

impl std::str::FromStr for CorrectionKind {
    type Err = ();
    fn from_str(s: &str) -> Result<CorrectionKind, ()> {
        match s {
            "not_for_me" => Ok(CorrectionKind::NotForMe),
            "needs_reply" => Ok(CorrectionKind::NeedsReply),
            _ => Err(()),
        }
    }
}

/// One correction, as the store keeps it: what, from whom, through where,
/// on which words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Correction {
    pub id: i64,
    pub kind: CorrectionKind,
    /// The reader, as [`Origin::sender`] says.
    pub sender: String,
    /// Where it came through, as [`Origin::place`] says.
    pub place: String,
    /// The words that asked (or should have).
    pub phrase: String,
    pub message_id: String,
    pub created_at: i64,
}

/// Who wrote a message and where it came through, as corrections record them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The writer's address, lower case: a notification's commenter, not
    /// the platform (`name:<name>` when the platform gives no address).
    pub sender: String,
    /// `list:<id>`, `platform:<name>`, or `domain:<sender's domain>`.
    pub place: String,
}

impl Origin {
    /// `from` is the From: address; `ctx` the message's context.
    pub fn of(from: &str, ctx: &Context) -> Origin {
        // A notification's writer is its commenter: by address, else by
        // name (a platform that hides addresses); never the platform's
        // own sender, which would make every comment one writer.
        let sender = match &ctx.author {
            Some(a) if a.email.contains('@') => a.email.trim().to_lowercase(),
            Some(a) if !a.name.trim().is_empty() => {
                format!("name:{}", a.name.trim().to_lowercase())
            }
            _ => from.trim().to_lowercase(),
        };
        let place = if let Some(list) = &ctx.list_id {
            format!("list:{}", list.to_lowercase())
        } else if let Some(p) = &ctx.platform {
            format!("platform:{}", p.to_lowercase())
        } else {
            let domain = from.rsplit_once('@').map_or("", |(_, d)| d);
            format!("domain:{}", domain.trim().to_lowercase())
        };
        Origin { sender, place }
    }
}

/// One correction, ready to match.
#[derive(Debug, Clone)]
struct Lesson {
    id: i64,
    kind: CorrectionKind,
    sender: String,
    place: String,
    words: HashSet<String>,
}

/// Every correction the owner made, ready to apply.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lessons {
    list: Vec<Lesson>,
}

impl Lessons {
    pub fn new(corrections: &[Correction]) -> Lessons {
        Lessons {
            list: corrections
                .iter()
                .map(|c| Lesson {
                    id: c.id,
                    kind: c.kind,
                    sender: c.sender.to_lowercase(),
                    place: c.place.to_lowercase(),
                    words: content_words(&c.phrase),
                })
                .collect(),
        }
    }

    /// Which corrections these are, for the record of what stored
    /// judgements were made with ("1,4,5").
    pub fn ids(&self) -> String {
        let ids: Vec<String> = self.list.iter().map(|l| l.id.to_string()).collect();
        ids.join(",")
    }

    /// The rules' judgement `ask`, corrected by the first lesson that
    /// matches. `all` is the message's sentences.
    pub fn apply(
        &self,
        source: Source,
        origin: &Origin,
        all: &[Sentence],
        ask: Ask,
        reasons: &mut Vec<Reason>,
    ) -> Ask {
        if self.list.is_empty()
            || !matches!(source, Source::Comment | Source::List | Source::Direct)
        {
            return ask;
        }
        let kind = if ask.asks {
            CorrectionKind::NotForMe
        } else {
            CorrectionKind::NeedsReply
        };
        let text = if ask.asks {
            ask.question.clone()
        } else {
            asking_text(all)
        };
        if text.trim().is_empty() {
            return ask;
        }
        let words = content_words(&text);
        let Some((lesson, on)) = self
            .list
            .iter()
            .filter(|l| l.kind == kind)
            .find_map(|l| l.matches(origin, &words).map(|on| (l, on)))
        else {
            return ask;
        };
        match kind {
            CorrectionKind::NotForMe => {
                reasons.push(Reason::new(
                    Rule::AsksNothing,
                    format!(
                        "you said mail like this is not for you (correction {}: {on})",
                        lesson.id
                    ),
                    &text,
                ));
                Ask {
                    asks: false,
                    question: String::new(),
                }
            }
            CorrectionKind::NeedsReply => {
                reasons.push(Reason::new(
                    Rule::Asks,
                    format!(
                        "you said mail like this needs a reply (correction {}: {on})",
                        lesson.id
                    ),
                    &text,
                ));
                Ask {
                    asks: true,
                    question: text,
                }
            }
        }
    }
}

impl Lesson {
    /// Two of the three match (writer, place, words): which two, in words.
    fn matches(&self, origin: &Origin, words: &HashSet<String>) -> Option<&'static str> {
        let sender = !self.sender.is_empty() && self.sender == origin.sender;
        let place = !self.place.is_empty() && self.place == origin.place;
        let alike = similar(&self.words, words);
        match (sender, place, alike) {
            (true, true, _) => Some("the same writer in the same place"),
            (true, false, true) => Some("the same writer, in like words"),
            (false, true, true) => Some("the same place, in like words"),
            _ => None,
        }
    }
}

/// What a message that the rules judged as asking nothing would ask, if
/// anything: its questions, else its first sentence.
pub(crate) fn asking_text(all: &[Sentence]) -> String {
    let questions: Vec<&str> = all
        .iter()
        .map(|s| s.text.trim())
        .filter(|t| t.ends_with('?'))
        .take(3)
        .collect();
    if !questions.is_empty() {
        return questions.join(" ");
    }
    all.first()
        .map(|s| s.text.trim().to_string())
        .unwrap_or_default()
}

/// The words of a phrase that say what it is about: folded, without stop
/// words or short words.
fn content_words(text: &str) -> HashSet<String> {
    crate::subjects::fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && !crate::subjects::is_stop(w))
        .map(str::to_string)
        .collect()
}

/// Like words: at least two shared, and half of the shorter side.
fn similar(a: &HashSet<String>, b: &HashSet<String>) -> bool {
    let shared = a.intersection(b).count();
    let smaller = a.len().min(b.len());
    shared >= 2 && shared * 2 >= smaller
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(kind: CorrectionKind, sender: &str, place: &str, phrase: &str) -> Correction {
        Correction {
            id: 1,
            kind,
            sender: sender.into(),
            place: place.into(),
            phrase: phrase.into(),
            message_id: "m@x".into(),
            created_at: 0,
        }
    }

    fn sentence(t: &str) -> Sentence {
        Sentence {
            text: t.into(),
            para: 0,
            first: true,
        }
    }

    fn origin(sender: &str, place: &str) -> Origin {
        Origin {
            sender: sender.into(),
            place: place.into(),
        }
    }

    fn asks(q: &str) -> Ask {
        Ask {
            asks: true,
            question: q.into(),
        }
    }

    #[test]
    fn not_for_me_needs_two_of_writer_place_and_words() {
        let l = Lessons::new(&[lesson(
            CorrectionKind::NotForMe,
            "bot@shop.example",
            "domain:shop.example",
            "Could you rate your recent purchase?",
        )]);
        let run = |o: &Origin, q: &str| {
            let mut r = Vec::new();
            (
                l.apply(Source::Direct, o, &[sentence(q)], asks(q), &mut r)
                    .asks,
                r,
            )
        };
        // The same sender and place, other words.
        let (a, r) = run(
            &origin("bot@shop.example", "domain:shop.example"),
            "Would you review the lamp?",
        );
        assert!(!a);
        assert!(r[0].why.contains("correction 1"));
        // Another sender in the same place, in like words.
        assert!(
            !run(
                &origin("news@shop.example", "domain:shop.example"),
                "Could you rate your purchase today?"
            )
            .0
        );
        // Only the place matches: a real question stays.
        assert!(
            run(
                &origin("ceo@shop.example", "domain:shop.example"),
                "Can we meet about the column?"
            )
            .0
        );
        // Only the words match, elsewhere: it stays.
        assert!(
            run(
                &origin("ann@else.example", "domain:else.example"),
                "Could you rate your recent purchase?"
            )
            .0
        );
    }

    #[test]
    fn needs_reply_flags_the_same_writers_question_in_the_same_place() {
        let l = Lessons::new(&[lesson(
            CorrectionKind::NeedsReply,
            "ann@reader.example",
            "platform:cusdis",
            "Is the heat pump post coming back?",
        )]);
        let no = Ask {
            asks: false,
            question: String::new(),
        };
        let mut r = Vec::new();
        let got = l.apply(
            Source::Comment,
            &origin("ann@reader.example", "platform:cusdis"),
            &[sentence("Nice."), sentence("Any news on the follow-up?")],
            no.clone(),
            &mut r,
        );
        assert!(got.asks);
        assert_eq!(got.question, "Any news on the follow-up?");
        assert_eq!(r[0].rule, Rule::Asks);
        // Automated mail is never corrected into needing a reply.
        let got = l.apply(
            Source::Automated,
            &origin("ann@reader.example", "platform:cusdis"),
            &[sentence("Any news?")],
            no,
            &mut Vec::new(),
        );
        assert!(!got.asks);
    }
}
