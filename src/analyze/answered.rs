//! Was a message answered? The owner replied to that very message: their
//! mail's In-Reply-To (or, lacking it, the last References id) names it, or
//! their blog reply comment's "In reply to" link names its comment.
//! A reply by someone else, or to another message of the thread, does not count.
//! A reply notice that names its parent's commenter instead of linking it
//! ("En réponse à : Margaux Pelletier") answers that commenter's latest
//! comment on the same post (by link, else by title) before the reply.
//!
//! WordPress's `wp_notify_postauthor` writes the parent as the admin edit
//! link (`comment.php?action=editcomment&c=210`) while the parent's own
//! notification carries its permalink (`...#comment-210`) or, when it was
//! held, `comment.php?action=approve&c=210`: comments are matched by blog
//! host and comment id, not by URL text.

use std::collections::HashMap;

use super::links::{LinkTable, NONE, some};
use crate::classify::Source;

/// For each message (same order as `t.rows`), the owner's reply that
/// answers it, as its index in `t.rows` ([`NONE`] when none; a reply
/// with an empty message id answers nothing, as it cannot be named).
pub(crate) fn answered_by(t: &LinkTable) -> Vec<u32> {
    // Message ids are unique in the store; the last holder wins otherwise.
    let mut by_id = vec![NONE; t.id_count];
    for (i, r) in t.rows.iter().enumerate() {
        if let Some(id) = some(r.message_id) {
            by_id[id as usize] = i as u32;
        }
    }
    let by_comment: HashMap<(String, String), usize> = t
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.source != Source::Own)
        .filter_map(|(i, r)| comment_key(t.comment(r)?.url.as_deref()?).map(|k| (k, i)))
        .collect();
    // (post, commenter) -> that commenter's comments on that post, by date.
    let mut by_name: HashMap<(String, String), Vec<(i64, usize)>> = HashMap::new();
    for (i, r) in t
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.source != Source::Own)
    {
        let Some(author) = t.comment(r).and_then(|c| c.author.as_deref()) else {
            continue;
        };
        // Under its link and its title: one notice may show only one of them.
        for post in t.posts(r) {
            by_name
                .entry((post_key(post), name_key(author)))
                .or_default()
                .push((r.date, i));
        }
    }
    let mut out = vec![NONE; t.rows.len()];
    for (own, r) in t
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.source == Source::Own && r.message_id != NONE)
    {
        let parent = t
            .parent(r)
            .and_then(|id| some(by_id[id as usize]))
            .map(|p| p as usize);
        // Its parent's link; or a reader's comment link it shows as its own
        // (the notice of the owner's reply links the comment it answers
        // first): the owner's notice is never the reader's comment.
        let parent_comment = t
            .comment(r)
            .and_then(|c| c.parent.as_deref().or(c.url.as_deref()))
            .and_then(comment_key)
            .and_then(|k| by_comment.get(&k).copied());
        let named = || {
            let name = t.comment(r)?.parent_author.as_deref()?;
            let comments = t
                .posts(r)
                .find_map(|post| by_name.get(&(post_key(post), name_key(name))))?;
            comments
                .iter()
                .filter(|(date, _)| *date <= r.date)
                .max_by_key(|(date, i)| (*date, *i))
                .map(|&(_, i)| i)
        };
        let parent_named = (parent.is_none() && parent_comment.is_none())
            .then(named)
            .flatten();
        for p in parent.into_iter().chain(parent_comment).chain(parent_named) {
            if t.rows[p].source != Source::Own && out[p] == NONE {
                out[p] = own as u32;
            }
        }
    }
    out
}

/// A post as both notices write it: its link without fragment or final
/// slash, or its title, in lower case.
fn post_key(post: &str) -> String {
    let p = post.split('#').next().unwrap_or(post).trim();
    p.trim_end_matches('/').to_lowercase()
}

/// A commenter's name, compared without case or spacing differences.
fn name_key(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// (host, comment id) from `#comment-210` or a `c=210` query parameter;
/// any other platform's link to one comment (Remark42's
/// `#remark42__comment-<uuid>`) by the whole of it after the host.
pub(crate) fn comment_key(url: &str) -> Option<(String, String)> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    let digits = |s: &str| -> String { s.chars().take_while(char::is_ascii_digit).collect() };
    // "c=210" (WordPress), or a parameter named for comments
    // ("hyvor-talk-comment=77120"), by name and value.
    let query_id = || {
        let query = rest.split_once('?').map(|(_, q)| q)?;
        query
            .split(['&', '#'])
            .find_map(|kv| match kv.split_once('=') {
                Some(("c", v)) => Some(digits(v)),
                Some((k, v)) if k.contains("comment") && !v.is_empty() => Some(format!("{k}={v}")),
                // "recado=rc-77120": a parameter of the comment system's
                // own naming one comment, not the post ("p=", "page_id=").
                Some((k, v))
                    if v.chars().filter(char::is_ascii_digit).count() >= 3
                        && !["p", "page", "page_id", "post", "post_id", "id", "ref"]
                            .contains(&k)
                        && !k.starts_with("utm") =>
                {
                    Some(format!("{k}={v}"))
                }
                _ => None,
            })
    };
    let id = match rest.split_once("#comment-") {
        Some((_, frag)) => digits(frag),
        None => query_id().or_else(|| {
            // "#comment-c41f", "#isso-3", "#rn-318": a fragment with a
            // number names one comment (as `platforms` reads comment
            // links); "#comments" names none.
            let (_, frag) = rest.split_once('#')?;
            frag.chars()
                .any(|c| c.is_ascii_digit())
                .then(|| rest[host.len()..].to_string())
        })?,
    };
    (!id.is_empty() && !host.is_empty()).then_some((host, id))
}

#[cfg(test)]
mod tests {
    use super::comment_key;

    #[test]
    fn a_link_without_a_numeric_id_names_its_comment_whole() {
        let a = comment_key("https://wiki.example/page/#remark42__comment-c41f-0a72");
        assert_eq!(
            a,
            comment_key("https://WIKI.example/page/#remark42__comment-c41f-0a72")
        );
        assert_ne!(
            a,
            comment_key("https://wiki.example/page/#remark42__comment-9d02")
        );
        assert_eq!(comment_key("https://wiki.example"), None);
        assert_eq!(
            comment_key("https://b.example/p?recado=rc-77120"),
            Some(("b.example".to_string(), "recado=rc-77120".to_string()))
        );
        assert_eq!(comment_key("https://b.example/?p=123"), None);
        assert_eq!(
            comment_key("https://b.example/p/?hyvor-talk-comment=77120"),
            comment_key("https://b.example/p/?utm=x&hyvor-talk-comment=77120")
        );
    }

    #[test]
    fn edit_link_and_permalink_name_the_same_comment() {
        let edit = comment_key(
            "https://b.example/wp-admin/comment.php?action=editcomment&c=210#wpbody-content",
        );
        let perma = comment_key("https://b.example/2026/10/post/#comment-210");
        assert_eq!(edit, perma);
        assert_eq!(edit, Some(("b.example".into(), "210".into())));
        assert_ne!(comment_key("https://other.example/p/#comment-210"), perma);
        assert_eq!(comment_key("https://b.example/p/#comments"), None);
        assert_eq!(
            comment_key("https://h.example/fifty-years/#rn-318"),
            Some(("h.example".into(), "/fifty-years/#rn-318".into()))
        );
    }
}
