//! Does the new text ask the owner for a reply? (First rules; deepened in issue 3.)

use super::{Reason, Source};
use crate::config::Owner;
use crate::message::Message;

pub(crate) struct Ask {
    pub asks: bool,
    pub question: String,
}

pub(crate) fn asks_owner(
    _msg: &Message,
    _owner: &Owner,
    source: Source,
    new_text: &str,
    reasons: &mut Vec<Reason>,
) -> Ask {
    if matches!(source, Source::Own | Source::Automated | Source::Pingback) {
        reasons.push(Reason::new(
            "asks: not for this kind of mail",
            source.as_str(),
        ));
        return Ask {
            asks: false,
            question: String::new(),
        };
    }
    let question = new_text
        .split_inclusive(['?', '\n'])
        .map(str::trim)
        .find(|s| s.ends_with('?'))
        .unwrap_or("")
        .to_string();
    let asks = !question.is_empty();
    if asks {
        reasons.push(Reason::new("asks: a question in the new text", &question));
    } else {
        reasons.push(Reason::new("asks: no question in the new text", ""));
    }
    Ask { asks, question }
}
