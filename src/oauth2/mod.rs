//! OAuth2 for IMAP and SMTP: where an account's access token comes from, and
//! the SASL strings that carry it (XOAUTH2, and OAUTHBEARER per RFC 7628).
//!
//! Before it: `config.rs` (`auth`, `token_command`, `[account.oauth2]`).
//! After it: `source/imap/connect.rs` (AUTHENTICATE) and `send.rs` (lettre's
//! XOAUTH2). A token comes from the owner's `token_command` (oama,
//! mutt_oauth2.py, mailctl), or from allears' own client: `login.rs` is
//! `allears login` (authorization code with PKCE and a loopback redirect, or
//! the device flow), `tokens.rs` keeps the refresh token in a file only the
//! owner can read and refreshes the access token before it expires, and
//! `client.rs` talks to the token endpoint.
//!
//! A token is an [`AccessToken`], which has no `Display` and a redacted
//! `Debug`: it reaches a server and nothing else, never a log or an error.

mod client;
mod login;
mod tokens;

use std::fmt;

use anyhow::{Result, bail};

use crate::config::{Account, Config, TokenSource};

pub(crate) use login::{Flow, login};
pub(crate) use tokens::describe_saved;

/// An OAuth2 access token. Its value never prints.
pub(crate) struct AccessToken(String);

impl AccessToken {
    /// A token as read from a command or an endpoint: one line, nothing that
    /// could end a SASL field or a protocol line early.
    fn new(text: &str, from: &str) -> Result<AccessToken> {
        let t = text.trim();
        if t.is_empty() {
            bail!("{from} gave an empty access token");
        }
        if t.contains(['\r', '\n', '\x01', ' ']) {
            bail!("{from} gave an access token with a space, line break or ^A in it");
        }
        Ok(AccessToken(t.to_string()))
    }

    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// What a fresh token was asked for: a cached one is fine, or the server
/// refused the last one and only a newly issued token will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    Any,
    New,
}

/// An access token for `account`, from its `token_command` or from the
/// token `allears login` saved (refreshed when it is about to expire).
pub(crate) fn access_token(config: &Config, account: &Account, want: Want) -> Result<AccessToken> {
    match &account.token {
        Some(TokenSource::Command(cmd)) => {
            let line = crate::config::first_line_of("token_command", cmd)?;
            AccessToken::new(&line, "token_command")
        }
        Some(TokenSource::Builtin(o)) => tokens::fresh(config, &account.name, o, want),
        None => bail!(
            "account {} has no token_command or [account.oauth2]",
            account.name
        ),
    }
}

/// A token from `cmd` (`[smtp] token_command`).
pub(crate) fn token_from_command(cmd: &str) -> Result<AccessToken> {
    let line = crate::config::first_line_of("token_command", cmd)?;
    AccessToken::new(&line, "token_command")
}

/// The XOAUTH2 initial response (Google's and Microsoft's SASL mechanism):
/// `user=USER^Aauth=Bearer TOKEN^A^A`.
pub(crate) fn xoauth2(user: &str, token: &AccessToken) -> String {
    format!("user={user}\x01auth=Bearer {}\x01\x01", token.reveal())
}

/// The OAUTHBEARER initial client response, RFC 7628 section 3.1: a GS2
/// header naming the user (`,` and `=` escaped as RFC 5801 says), then
/// host, port and the bearer token, each ended by ^A.
pub(crate) fn oauthbearer(user: &str, host: &str, port: u16, token: &AccessToken) -> String {
    let user = user.replace('=', "=3D").replace(',', "=2C");
    format!(
        "n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {}\x01\x01",
        token.reveal()
    )
}

/// URL-safe base64 without padding (RFC 7636 appendix A; JWT segments).
fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `n` bytes from the operating system's CSPRNG, base64url-encoded.
fn random(n: usize) -> Result<String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)
        .map_err(|e| anyhow::anyhow!("no random bytes from the system: {e}"))?;
    Ok(base64url(&buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sasl_strings_are_as_the_specs_write_them() {
        let t = AccessToken::new("vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\n", "test").unwrap();
        assert_eq!(
            xoauth2("someuser@example.com", &t),
            "user=someuser@example.com\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01"
        );
        // RFC 7628 section 4.1, with the user escaped per RFC 5801.
        assert_eq!(
            oauthbearer("user@example.com", "server.example.com", 143, &t),
            "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01"
        );
        assert!(oauthbearer("a,b=c", "h", 1, &t).starts_with("n,a=a=2Cb=3Dc,\x01"));
    }

    #[test]
    fn a_token_never_prints_and_cannot_break_a_line() {
        let t = AccessToken::new("secret-token", "test").unwrap();
        assert!(!format!("{t:?}").contains("secret"));
        assert!(AccessToken::new("a\r\nb", "test").is_err());
        assert!(AccessToken::new("  ", "test").is_err());
    }
}
