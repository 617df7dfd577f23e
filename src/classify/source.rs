//! Where a message comes from: a blog comment, a pingback, a mailing list,
//! a person writing directly, automated mail, or the owner's own mail.
//! (First rules; deepened in issue 3.)

use super::{Context, Reason, Source};
use crate::config::Owner;
use crate::message::{Address, Message};

/// Facts about the message's place: its list (RFC 2919 List-Id, RFC 2369
/// List-*), or the blog post and comment of a WordPress notification.
pub(crate) fn context(msg: &Message) -> Context {
    let mut c = Context::default();
    if let Some(v) = msg.header("List-Id") {
        let (name, id) = parse_list_id(v);
        c.list_id = Some(id);
        c.list_name = name;
    }
    c.list_post = msg.header("List-Post").map(str::to_string);
    c.archive = msg
        .header("Archived-At")
        .or_else(|| msg.header("List-Archive"))
        .and_then(first_url);
    for line in msg.text.lines() {
        let t = line.trim();
        if let Some(url) = t.strip_prefix("Permalink:") {
            c.comment_url = Some(url.trim().to_string());
        } else if let Some(rest) = t.strip_prefix("Email:") {
            let email = rest.trim().to_ascii_lowercase();
            if email.contains('@') {
                c.author.get_or_insert_with(Address::default).email = email;
            }
        } else if let Some(rest) = t.strip_prefix("Author:") {
            let name = rest
                .split(" (IP address")
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            c.author.get_or_insert_with(Address::default).name = name;
        }
    }
    if let Some(url) = &c.comment_url {
        c.post_url = Some(url.split('#').next().unwrap_or(url).to_string());
    }
    if let Some(start) = msg.subject.find('"') {
        let t = msg.subject[start + 1..].trim_end_matches('"');
        if msg.subject.contains("Comment:") || msg.subject.contains("moderate:") {
            c.post_title = Some(t.to_string());
        }
    }
    c
}

/// RFC 2919 `list-id-header = "List-ID:" [phrase] "<" list-id ">"`.
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

fn first_url(v: &str) -> Option<String> {
    let start = v.find("http")?;
    let rest = &v[start..];
    let end = rest.find(['>', ' ', ',']).unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

pub(crate) fn source(
    msg: &Message,
    owner: &Owner,
    sent: bool,
    ctx: &Context,
    reasons: &mut Vec<Reason>,
) -> Source {
    if sent {
        reasons.push(Reason::new("own: found in the owner's sent mail", ""));
        return Source::Own;
    }
    if owner.is_owner(msg.from_email()) {
        reasons.push(Reason::new(
            "own: From is the owner's address",
            msg.from_email(),
        ));
        return Source::Own;
    }
    if msg.subject.contains("Pingback:") || msg.subject.contains("Trackback:") {
        reasons.push(Reason::new(
            "pingback: WordPress pingback subject",
            &msg.subject,
        ));
        return Source::Pingback;
    }
    if ctx.comment_url.is_some() && ctx.author.is_some() {
        reasons.push(Reason::new(
            "comment: WordPress notification with Permalink",
            &msg.subject,
        ));
        return Source::Comment;
    }
    if let Some(id) = &ctx.list_id {
        reasons.push(Reason::new("list: RFC 2919 List-Id", id));
        return Source::List;
    }
    if let Some(v) = msg
        .header("Auto-Submitted")
        .filter(|v| !v.eq_ignore_ascii_case("no"))
    {
        reasons.push(Reason::new("automated: RFC 3834 Auto-Submitted", v));
        return Source::Automated;
    }
    if let Some(v) = msg.header("Precedence") {
        reasons.push(Reason::new("automated: Precedence header", v));
        return Source::Automated;
    }
    reasons.push(Reason::new(
        "direct: no list, blog or automation markers",
        msg.from_email(),
    ));
    Source::Direct
}

/// The writer's own words: for a comment notification, the comment itself.
pub(crate) fn writer_text(msg: &Message, source: Source) -> String {
    if matches!(source, Source::Comment)
        && let Some(start) = msg.text.find("\nComment:")
    {
        let rest = &msg.text[start + "\nComment:".len()..];
        let end = ["You can see all comments", "Approve it:", "Permalink:"]
            .iter()
            .filter_map(|m| rest.find(m))
            .min()
            .unwrap_or(rest.len());
        return rest[..end].trim().to_string();
    }
    msg.text.clone()
}
