//! Was a message answered? The owner replied to that very message: their
//! mail's In-Reply-To (or, lacking it, the last References id) names it, or
//! their blog reply comment's "In reply to" link names its comment.
//! A reply by someone else, or to another message of the thread, does not count.

use std::collections::HashMap;

use crate::classify::Source;
use crate::store::Links;

/// For each message (same order as `links`), the owner's reply that answers it.
pub(crate) fn answered_by(links: &[Links]) -> Vec<Option<String>> {
    let by_id: HashMap<&str, usize> = links
        .iter()
        .enumerate()
        .map(|(i, l)| (l.message_id.as_str(), i))
        .collect();
    let by_comment: HashMap<&str, usize> = links
        .iter()
        .enumerate()
        .filter_map(|(i, l)| l.context.comment_url.as_deref().map(|u| (u, i)))
        .collect();
    let mut out = vec![None; links.len()];
    for l in links.iter().filter(|l| l.source == Source::Own) {
        let parent = l
            .in_reply_to
            .as_deref()
            .or_else(|| l.references.last().map(String::as_str))
            .and_then(|id| by_id.get(id));
        let parent_comment = l
            .context
            .parent_comment_url
            .as_deref()
            .and_then(|u| by_comment.get(u));
        for &p in parent.into_iter().chain(parent_comment) {
            if links[p].source != Source::Own && out[p].is_none() {
                out[p] = Some(l.message_id.clone());
            }
        }
    }
    out
}
