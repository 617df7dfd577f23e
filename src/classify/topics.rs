//! Topics readers asked the owner to write about: finding the requests in one
//! message, and grouping requests for the same subject across messages.
//! (First rules; deepened in issue 3.)

use super::{Reason, TopicRequest};
use crate::message::Message;

pub(crate) fn requests(
    new_text: &str,
    _msg: &Message,
    reasons: &mut Vec<Reason>,
) -> Vec<TopicRequest> {
    let mut out = Vec::new();
    for sentence in new_text.split_inclusive(['.', '?', '!', '\n']) {
        let s = sentence.trim();
        let lower = s.to_lowercase();
        for cue in ["write about ", "cover "] {
            if let Some(at) = lower.find(cue) {
                let phrase: String = lower[at + cue.len()..]
                    .trim_end_matches(['?', '.', '!'])
                    .trim()
                    .to_string();
                if !phrase.is_empty() {
                    reasons.push(Reason::new("topic: asks to write about", s));
                    out.push(TopicRequest {
                        phrase,
                        words: s.to_string(),
                    });
                }
                break;
            }
        }
    }
    out
}

/// A group of requests for one subject.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub key: String,
    pub label: String,
    /// Indices into the requests given to [`group`].
    pub members: Vec<usize>,
}

/// Group requests (phrases) that name the same subject.
pub(crate) fn group(phrases: &[&str], _synonyms: &[Vec<String>]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, p) in phrases.iter().enumerate() {
        let key = p.to_lowercase();
        match groups.iter_mut().find(|g| g.key == key) {
            Some(g) => g.members.push(i),
            None => groups.push(Group {
                key: key.clone(),
                label: p.to_string(),
                members: vec![i],
            }),
        }
    }
    groups
}
