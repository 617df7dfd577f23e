//! May this message command allears? Only the owner commands: the reply
//! must come from one of the owner's addresses AND carry the digest's secret
//! token, and an Authentication-Results header (RFC 8601) of the owner's own
//! server (`authserv_id`) must not report a failing DKIM, SPF or DMARC
//! result. And is it a reply to a digest at all?

use crate::config::Config;
use crate::message::Message;

/// Why a message may not command, or `Ok` when it may.
pub(crate) fn authenticate(msg: &Message, config: &Config, token: &str) -> Result<(), String> {
    let from = msg.email_from();
    if !config.owner.is_owner(from) {
        return Err(format!("it came from {from}, not one of your addresses"));
    }
    if token.is_empty() || !carries_token(msg, token) {
        return Err("it does not carry this digest's secret token".to_string());
    }
    if let Some(server) = &config.commands.authserv_id {
        for (name, value) in &msg.headers {
            if !name.eq_ignore_ascii_case("Authentication-Results") {
                continue;
            }
            if let Some(failure) = failing_result(value, server) {
                return Err(format!("{server} reported {failure}"));
            }
        }
    }
    Ok(())
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

/// RFC 8601 Authentication-Results from our own server: the first method
/// among dkim, spf and dmarc whose result is fail (or softfail, permerror).
fn failing_result(value: &str, authserv_id: &str) -> Option<String> {
    let mut parts = value.split(';');
    let id = parts.next()?.split_whitespace().next()?;
    if !id.eq_ignore_ascii_case(authserv_id) {
        return None;
    }
    for part in parts {
        let part = part.trim();
        let Some((method, rest)) = part.split_once('=') else {
            continue;
        };
        let method = method.trim().to_ascii_lowercase();
        if !matches!(method.as_str(), "dkim" | "spf" | "dmarc") {
            continue;
        }
        let result = rest
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if matches!(result.as_str(), "fail" | "softfail" | "permerror") {
            return Some(format!("{method}={result}"));
        }
    }
    None
}

/// Is this message a reply to a digest (and so meant as commands)?
pub(crate) fn is_command_message(
    msg: &Message,
    config: &Config,
    digest_ids: &[String],
    token: &str,
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
    let to_command_address = !token.is_empty() && msg.to.iter().any(|a| token_address(a, token));
    replies_to_digest || to_command_address || to_configured_address
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authentication_results_of_our_server_only() {
        assert_eq!(
            failing_result(
                "mx.ellis.example; dkim=fail header.d=x; spf=pass",
                "mx.ellis.example"
            ),
            Some("dkim=fail".into())
        );
        assert_eq!(
            failing_result("mx.other.example; dkim=fail", "mx.ellis.example"),
            None
        );
        assert_eq!(
            failing_result(
                "mx.ellis.example; dkim=pass; dmarc=pass",
                "mx.ellis.example"
            ),
            None
        );
    }
}
