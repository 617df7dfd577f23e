//! Mail providers allears knows by name: where their IMAP and SMTP servers
//! are, and their OAuth2 endpoints, so `provider = "gmail"` in an
//! `[[account]]` or `[smtp]` is enough (`config.rs` fills the keys not set).
//! The README shows a tested config for each, and how to register an OAuth2
//! client where the provider asks for one. Every value here was taken from the
//! provider's own documentation; an explicit key in digest.toml always wins.

use serde::Deserialize;

/// A mail provider, as `provider = "..."` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MailProvider {
    /// Gmail and Google Workspace: OAuth2 (or an app password with 2-step verification).
    Gmail,
    /// Microsoft 365 and Outlook.com: OAuth2 only (no passwords over IMAP or SMTP).
    Microsoft365,
    /// Fastmail: app passwords (its OAuth2 is for registered partners only).
    Fastmail,
    /// iCloud Mail: app-specific passwords only.
    Icloud,
}

/// One server: host, port, and whether TLS starts with the first byte
/// (else with STARTTLS; every provider here wants one or the other).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Server {
    pub host: &'static str,
    pub port: u16,
    pub implicit_tls: bool,
}

impl MailProvider {
    pub fn imap(self) -> Server {
        let host = match self {
            MailProvider::Gmail => "imap.gmail.com",
            MailProvider::Microsoft365 => "outlook.office365.com",
            MailProvider::Fastmail => "imap.fastmail.com",
            MailProvider::Icloud => "imap.mail.me.com",
        };
        Server {
            host,
            port: 993,
            implicit_tls: true,
        }
    }

    pub fn smtp(self) -> Server {
        match self {
            MailProvider::Gmail => Server {
                host: "smtp.gmail.com",
                port: 465,
                implicit_tls: true,
            },
            MailProvider::Microsoft365 => Server {
                host: "smtp.office365.com",
                port: 587,
                implicit_tls: false,
            },
            MailProvider::Fastmail => Server {
                host: "smtp.fastmail.com",
                port: 465,
                implicit_tls: true,
            },
            MailProvider::Icloud => Server {
                host: "smtp.mail.me.com",
                port: 587,
                implicit_tls: false,
            },
        }
    }

    /// The OAuth2 identity provider behind this mail provider, when it offers
    /// OAuth2 to any registered client.
    pub fn oauth2(self) -> Option<OAuth2Provider> {
        match self {
            MailProvider::Gmail => Some(OAuth2Provider::Google),
            MailProvider::Microsoft365 => Some(OAuth2Provider::Microsoft),
            MailProvider::Fastmail | MailProvider::Icloud => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MailProvider::Gmail => "gmail",
            MailProvider::Microsoft365 => "microsoft365",
            MailProvider::Fastmail => "fastmail",
            MailProvider::Icloud => "icloud",
        }
    }
}

/// An OAuth2 identity provider, as `[account.oauth2] provider = "..."` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum OAuth2Provider {
    Google,
    Microsoft,
}

/// Where a provider's OAuth2 endpoints are and what to ask for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoints {
    pub auth_url: &'static str,
    pub token_url: &'static str,
    /// RFC 8628 device authorization; `None` where the mail scope is not allowed there.
    pub device_url: Option<&'static str>,
    pub scopes: &'static [&'static str],
    /// Added to the authorization request.
    pub auth_params: &'static [(&'static str, &'static str)],
}

impl OAuth2Provider {
    pub fn endpoints(self) -> Endpoints {
        match self {
            // Google's device flow allows only a short list of scopes, and
            // https://mail.google.com/ is not on it: the loopback flow only.
            // Without access_type=offline Google issues no refresh token, and
            // without prompt=consent it issues one only the first time.
            OAuth2Provider::Google => Endpoints {
                auth_url: "https://accounts.google.com/o/oauth2/v2/auth",
                token_url: "https://oauth2.googleapis.com/token",
                device_url: None,
                scopes: &["https://mail.google.com/"],
                auth_params: &[("access_type", "offline"), ("prompt", "consent")],
            },
            // The "common" tenant takes work, school and personal accounts;
            // offline_access is what brings a refresh token.
            OAuth2Provider::Microsoft => Endpoints {
                auth_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                device_url: Some("https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"),
                scopes: &[
                    "https://outlook.office.com/IMAP.AccessAsUser.All",
                    "https://outlook.office.com/SMTP.Send",
                    "offline_access",
                ],
                auth_params: &[],
            },
        }
    }
}
