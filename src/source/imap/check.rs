//! `allears check` for one account: connect, log in (saying how: password,
//! or which OAuth2 mechanism and where its token comes from), list
//! capabilities and the folders its patterns choose, and name every problem.

use super::connect::login;
use super::folders::folders_to_fetch;
use crate::config::{Account, Auth, Config, Tls, TokenSource};

/// What `allears check` found for one account.
#[derive(Debug, Default)]
pub(crate) struct CheckReport {
    pub account: String,
    pub lines: Vec<String>,
    pub problems: Vec<String>,
    /// The server could not be reached as configured (TCP, TLS, the
    /// greeting): `check` then asks the port what it speaks, for a hint.
    pub unreached: bool,
}

/// Connect, log in, list capabilities and the folders the patterns match.
pub(crate) fn check_account(config: &Config, account: &Account) -> CheckReport {
    let mut r = CheckReport {
        account: account.name.clone(),
        ..CheckReport::default()
    };
    let tls = match account.tls {
        Tls::Implicit => "implicit TLS",
        Tls::Starttls => "STARTTLS",
        Tls::None => "no TLS (loopback)",
    };
    let preset = account
        .provider
        .map(|p| format!(", provider {}", p.name()))
        .unwrap_or_default();
    r.lines.push(format!(
        "{}:{} ({tls}{preset}) as {}",
        account.host, account.port, account.username
    ));
    r.lines.push(match (account.auth, &account.token) {
        (Auth::Password, _) | (_, None) => "auth: password".to_string(),
        (mech, Some(source)) => format!("auth: {} ({})", mech.mechanism(), source.describe()),
    });
    if let Some(TokenSource::Builtin(_)) = &account.token {
        r.lines
            .extend(crate::oauth2::describe_saved(config, &account.name));
    }
    let mut session = match login(config, account) {
        Ok(s) => s,
        Err(e) => {
            r.unreached = !matches!(
                e,
                super::connect::Problem::Login { .. }
                    | super::connect::Problem::Password { .. }
                    | super::connect::Problem::Token(_)
                    | super::connect::Problem::Dns { .. }
            );
            r.problems.push(e.to_string());
            return r;
        }
    };
    r.lines.push("logged in".to_string());
    match session.capabilities() {
        Ok(caps) => {
            let mut names: Vec<String> = caps.iter().map(capability_name).collect();
            names.sort();
            r.lines.push(format!("capabilities: {}", names.join(" ")));
        }
        Err(e) => r.problems.push(format!("CAPABILITY: {e}")),
    }
    match folders_to_fetch(&mut session, account) {
        Ok(f) => {
            for folder in &f.chosen {
                let tag = if folder.sent { " (sent)" } else { "" };
                r.lines.push(format!("folder: {}{tag}", folder.name));
            }
            for m in &f.missing {
                r.problems.push(format!(
                    "missing folder: no folder named \"{m}\" on the server"
                ));
            }
            for p in &f.unmatched {
                r.lines
                    .push(format!("warning: pattern \"{p}\" matches no folder"));
            }
            if f.sent.is_none() {
                r.lines.push(
                    "warning: no Sent folder (set sent_folder; without it replies are not seen as answers)"
                        .to_string(),
                );
            }
        }
        Err(e) => r.problems.push(format!("LIST: {e:#}")),
    }
    let _ = session.logout();
    r
}

fn capability_name(c: &imap_proto::Capability<'_>) -> String {
    match c {
        imap_proto::Capability::Imap4rev1 => "IMAP4rev1".to_string(),
        imap_proto::Capability::Auth(a) => format!("AUTH={a}"),
        imap_proto::Capability::Atom(a) => a.to_string(),
    }
}
