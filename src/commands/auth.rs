//! May this message command allears? Only the owner commands:
//!
//! - the message has exactly one From header with exactly one mailbox,
//!   which is one of the owner's addresses, and no Sender other than the
//!   owner (RFC 5322 section 3.6.2: with two authors, or a Sender, someone
//!   else may have written it);
//! - it carries the secret token of a digest not older than `[commands]
//!   token_days` (each digest has its own);
//! - with `[commands] authserv_id`, the owner's own server's
//!   Authentication-Results (RFC 8601) report no failing DKIM, SPF or DMARC
//!   result, and a DKIM or DMARC pass aligned with the From domain (RFC
//!   7489 section 3.1): the absence of a failure is not enough.
//!
//! And is it a reply to a digest at all?

use crate::config::Config;
use crate::message::Message;

/// A digest's secret token and when it was made (unix seconds).
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub token: String,
    pub made: i64,
}

/// Why a message may not command, or `Ok` when it may. `raw` is the
/// message as stored; `tokens` every digest's token; `now` unix seconds.
pub(crate) fn authenticate(
    msg: &Message,
    raw: &[u8],
    config: &Config,
    tokens: &[Token],
    now: i64,
) -> Result<(), String> {
    let from = single_author(raw)?;
    if !config.owner.is_owner(&from) {
        return Err(format!("it came from {from}, not one of your addresses"));
    }
    if let Some(sender) = other_sender(raw, config) {
        return Err(format!(
            "its Sender is {sender}, not you: someone else sent it in your name"
        ));
    }
    let days = config.commands.token_days();
    let carried: Vec<&Token> = tokens
        .iter()
        .filter(|t| carries_token(msg, &t.token))
        .collect();
    if carried.is_empty() {
        return Err("it does not carry a digest's secret token".to_string());
    }
    if !carried.iter().any(|t| now - t.made <= days * 86_400) {
        return Err(format!(
            "it carries the secret token of a digest older than {days} days ([commands] token_days): reply to a newer digest"
        ));
    }
    if let Some(server) = &config.commands.authserv_id {
        let domain = from.rsplit_once('@').map_or("", |(_, d)| d);
        server_vouches(msg, server, domain)?;
    }
    Ok(())
}

/// The one author of a message: exactly one From header holding exactly
/// one mailbox (a group's members count one by one).
fn single_author(raw: &[u8]) -> Result<String, String> {
    use mailparse::MailHeaderMap;
    let Ok((headers, _)) = mailparse::parse_headers(raw) else {
        return Err("its header cannot be read".to_string());
    };
    let froms = headers.get_all_headers("From");
    if froms.len() != 1 {
        return Err(format!(
            "it has {} From headers: a command has exactly one",
            froms.len()
        ));
    }
    let mailboxes: Vec<String> = match mailparse::addrparse_header(froms[0]) {
        Ok(list) => list
            .iter()
            .flat_map(|a| match a {
                mailparse::MailAddr::Single(s) => vec![s.addr.clone()],
                mailparse::MailAddr::Group(g) => g.addrs.iter().map(|s| s.addr.clone()).collect(),
            })
            .collect(),
        Err(_) => Vec::new(),
    };
    match mailboxes.as_slice() {
        [one] => Ok(one.trim().to_ascii_lowercase()),
        [] => Err("its From names no address that can be read".to_string()),
        many => Err(format!(
            "its From names {} addresses ({}): a command has exactly one author",
            many.len(),
            many.join(", ")
        )),
    }
}

/// A Sender (every one of them) that is not one of the owner's addresses.
fn other_sender(raw: &[u8], config: &Config) -> Option<String> {
    use mailparse::MailHeaderMap;
    let (headers, _) = mailparse::parse_headers(raw).ok()?;
    for h in headers.get_all_headers("Sender") {
        let addrs: Vec<String> = match mailparse::addrparse_header(h) {
            Ok(list) => list
                .iter()
                .flat_map(|a| match a {
                    mailparse::MailAddr::Single(s) => vec![s.addr.clone()],
                    mailparse::MailAddr::Group(g) => {
                        g.addrs.iter().map(|s| s.addr.clone()).collect()
                    }
                })
                .collect(),
            Err(_) => vec![h.get_value()],
        };
        if addrs.len() != 1 || !config.owner.is_owner(&addrs[0]) {
            return Some(addrs.join(", "));
        }
    }
    None
}

/// The token is in a recipient address (`owner+TOKEN@domain`) or in the text
/// (the digest's footer, quoted in the reply).
fn carries_token(msg: &Message, token: &str) -> bool {
    msg.to
        .iter()
        .chain(&msg.cc)
        .any(|a| token_address(a, token))
        || msg.text.contains(token)
}

/// `owner+TOKEN@domain`: the subaddress is the token.
fn token_address(a: &crate::message::Address, token: &str) -> bool {
    a.email
        .split('@')
        .next()
        .is_some_and(|local| local.ends_with(&format!("+{token}")))
}

/// One method's result in an Authentication-Results header, with its properties.
#[derive(Debug, Clone, PartialEq, Eq)]
struct MethodResult {
    method: String,
    result: String,
    /// "header.d" -> "example.org", lowercased.
    props: Vec<(String, String)>,
}

impl MethodResult {
    fn prop(&self, name: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn describe(&self) -> String {
        let mut s = format!("{}={}", self.method, self.result);
        for (k, v) in &self.props {
            if k.starts_with("header.") {
                s.push_str(&format!(" {k}={v}"));
            }
        }
        s
    }
}

/// RFC 8601 `authres-header-field`: the authserv-id and each method's
/// result (comments removed), or `None` when it is not `authserv_id`'s.
fn results_of(value: &str, authserv_id: &str) -> Option<Vec<MethodResult>> {
    let value = without_comments(value);
    let mut parts = value.split(';');
    let id = parts.next()?.split_whitespace().next()?;
    if !id.eq_ignore_ascii_case(authserv_id) {
        return None;
    }
    let mut out = Vec::new();
    for part in parts {
        let mut words = part.split_whitespace();
        let Some((method, result)) = words.next().and_then(|w| w.split_once('=')) else {
            continue;
        };
        let props = words
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| {
                (
                    k.to_ascii_lowercase(),
                    v.trim_matches('"').to_ascii_lowercase(),
                )
            })
            .collect();
        out.push(MethodResult {
            method: method.to_ascii_lowercase(),
            result: result.to_ascii_lowercase(),
            props,
        });
    }
    Some(out)
}

/// RFC 5322 comments ("(...)", nested) taken out.
fn without_comments(v: &str) -> String {
    let mut depth = 0usize;
    v.chars()
        .filter(|&c| match c {
            '(' => {
                depth += 1;
                false
            }
            ')' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect()
}

/// DMARC relaxed alignment (RFC 7489 section 3.1.1), without a public
/// suffix list: the same domain, or one under the other where the shorter
/// has at least two labels.
fn aligned(d: &str, from_domain: &str) -> bool {
    let (d, f) = (d.trim_start_matches('@'), from_domain);
    let under =
        |long: &str, short: &str| short.contains('.') && long.ends_with(&format!(".{short}"));
    !d.is_empty() && (d.eq_ignore_ascii_case(f) || under(d, f) || under(f, d))
}

/// The owner's own server must vouch for the message: none of its
/// Authentication-Results headers reports a failing DKIM, SPF or DMARC
/// result, and those it added on delivery report a DKIM pass for a domain
/// aligned with `from_domain`, or a DMARC pass. The ones it added are those
/// above the first Received header (the delivering server's own); any
/// below it came with the message, whatever id they claim (RFC 8601
/// section 7.2), and vouch for nothing.
fn server_vouches(msg: &Message, server: &str, from_domain: &str) -> Result<(), String> {
    let mut top = Vec::new();
    let mut all = Vec::new();
    let mut delivered = false;
    for (name, value) in &msg.headers {
        if name.eq_ignore_ascii_case("Received") {
            delivered = true;
        } else if name.eq_ignore_ascii_case("Authentication-Results")
            && let Some(results) = results_of(value, server)
        {
            if !delivered {
                top.extend(results.iter().cloned());
            }
            all.extend(results);
        }
    }
    if let Some(bad) = all.iter().find(|r| {
        matches!(r.method.as_str(), "dkim" | "spf" | "dmarc")
            && matches!(r.result.as_str(), "fail" | "softfail" | "permerror")
    }) {
        return Err(format!("{server} reported {}", bad.describe()));
    }
    if top.is_empty() {
        return Err(format!(
            "{server} ([commands] authserv_id) added no Authentication-Results to it"
        ));
    }
    let pass = top.iter().any(|r| {
        r.result == "pass"
            && match r.method.as_str() {
                "dkim" => r
                    .prop("header.d")
                    .or_else(|| {
                        r.prop("header.i")
                            .and_then(|i| i.rsplit_once('@').map(|(_, d)| d))
                    })
                    .is_some_and(|d| aligned(d, from_domain)),
                "dmarc" => r
                    .prop("header.from")
                    .is_none_or(|f| aligned(f, from_domain)),
                _ => false,
            }
    });
    if pass {
        return Ok(());
    }
    let seen: Vec<String> = top.iter().map(MethodResult::describe).collect();
    Err(format!(
        "{server} reported no DKIM or DMARC pass for {from_domain} ({})",
        if seen.is_empty() {
            "no results".to_string()
        } else {
            seen.join("; ")
        }
    ))
}

/// Is this message a reply to a digest (and so meant as commands)?
pub(crate) fn is_command_message(
    msg: &Message,
    config: &Config,
    digest_ids: &[String],
    tokens: &[Token],
) -> bool {
    let to_configured_address = config.commands.address.as_deref().is_some_and(|a| {
        msg.to
            .iter()
            .any(|t| t.email.eq_ignore_ascii_case(a.trim()))
    });
    let replies_to_digest = msg
        .in_reply_to
        .iter()
        .chain(&msg.references)
        .any(|id| digest_ids.iter().any(|d| d == id));
    let to_command_address = tokens
        .iter()
        .any(|t| msg.to.iter().any(|a| token_address(a, &t.token)));
    replies_to_digest || to_command_address || to_configured_address
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vouches(headers: &[&str]) -> Result<(), String> {
        let mut raw = String::new();
        for h in headers {
            raw.push_str(&format!("Authentication-Results: {h}\n"));
        }
        raw.push_str("From: robin@ellis.example\n\nx\n");
        let msg = crate::message::parse(raw.as_bytes());
        server_vouches(&msg, "mx.ellis.example", "ellis.example")
    }

    #[test]
    fn our_servers_results_must_show_an_aligned_pass() {
        assert!(vouches(&["mx.ellis.example; dkim=pass header.d=ellis.example"]).is_ok());
        assert!(
            vouches(&["mx.ellis.example; dkim=pass (good sig) header.d=mail.ellis.example"])
                .is_ok()
        );
        assert!(
            vouches(&["mx.ellis.example; spf=pass; dmarc=pass header.from=ellis.example"]).is_ok()
        );
        let err =
            vouches(&["mx.ellis.example; dkim=pass header.d=evil.example; spf=pass; dmarc=none"])
                .unwrap_err();
        assert!(err.contains("no DKIM or DMARC pass"), "{err}");
        assert!(err.contains("header.d=evil.example"), "{err}");
        assert!(
            vouches(&["mx.ellis.example; dkim=fail header.d=ellis.example; spf=pass"])
                .unwrap_err()
                .contains("dkim=fail")
        );
        assert!(vouches(&[]).is_err(), "nothing from our server is no pass");
        // Another server's results count for nothing.
        assert!(vouches(&["mx.other.example; dkim=pass header.d=ellis.example"]).is_err());
        // A pass the message brought along, below the delivering server's
        // Received, does not count; passes its milters added above it do.
        assert!(
            vouches(&[
                "mx.ellis.example; dkim=none; spf=pass\nReceived: from evil.example by mx.ellis.example",
                "mx.ellis.example; dkim=pass header.d=ellis.example"
            ])
            .is_err()
        );
        assert!(
            vouches(&[
                "mx.ellis.example; spf=pass smtp.mailfrom=ellis.example",
                "mx.ellis.example; dmarc=pass header.from=ellis.example\nReceived: from a by mx.ellis.example",
            ])
            .is_ok()
        );
        // A domain that only ends like the owner's is not aligned.
        assert!(vouches(&["mx.ellis.example; dkim=pass header.d=notellis.example"]).is_err());
        assert!(vouches(&["mx.ellis.example; dkim=pass header.d=example"]).is_err());
    }

    #[test]
    fn one_author_only() {
        assert_eq!(
            single_author(b"From: Robin <r@x.example>\n\n").unwrap(),
            "r@x.example"
        );
        assert!(single_author(b"From: r@x.example, m@evil.example\n\n").is_err());
        assert!(single_author(b"From: r@x.example\nFrom: m@evil.example\n\n").is_err());
        assert!(single_author(b"Subject: none\n\n").is_err());
    }
}
