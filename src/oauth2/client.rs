//! The token endpoint and the device authorization endpoint: form POSTs
//! that answer JSON (RFC 6749 sections 4.1.3, 5 and 6; RFC 8628 section 3).
//!
//! A small client over ureq rather than the `oauth2` crate: allears needs
//! four requests, one error it must tell apart (`invalid_grant`: the refresh
//! token is dead, run `allears login`), and a blocking client on the
//! system's TLS like IMAP and SMTP. Endpoints are https only (http only to a
//! loopback host, for tests; `config.rs` checks), redirects are not
//! followed, and neither a request nor a response body is ever logged.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use serde::Deserialize;

use crate::config::OAuth2;

/// What a token endpoint issued (RFC 6749 section 5.1).
#[derive(Deserialize)]
pub(super) struct Grant {
    pub access_token: String,
    pub expires_in: Option<u64>,
    pub refresh_token: Option<String>,
}

/// Why a token request failed: the endpoint's own refusal (RFC 6749
/// section 5.2), which a caller acts on, or anything else.
#[derive(Debug, thiserror::Error)]
pub(super) enum Refusal {
    #[error("{error}{}", description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl Refusal {
    /// The OAuth2 error code, like "invalid_grant" or "authorization_pending".
    pub fn code(&self) -> Option<&str> {
        match self {
            Refusal::Refused { error, .. } => Some(error),
            Refusal::Other(_) => None,
        }
    }
}

/// RFC 8628 section 3.2: what the device authorization endpoint answers.
#[derive(Deserialize)]
pub(super) struct DeviceCode {
    pub device_code: String,
    pub user_code: String,
    /// Google writes `verification_url`.
    #[serde(alias = "verification_url")]
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    pub interval: Option<u64>,
}

/// Exchange an authorization code (RFC 6749 section 4.1.3, with the PKCE
/// verifier of RFC 7636 section 4.5).
pub(super) fn exchange_code(
    o: &OAuth2,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Result<Grant, Refusal> {
    let form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    token_request(o, form)
}

/// A new access token for a refresh token (RFC 6749 section 6).
pub(super) fn refresh(o: &OAuth2, refresh_token: &str) -> Result<Grant, Refusal> {
    let form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    token_request(o, form)
}

/// Ask for a device code (RFC 8628 section 3.1).
pub(super) fn device_code(o: &OAuth2, device_url: &str) -> Result<DeviceCode, Refusal> {
    let scope = o.scopes.join(" ");
    let mut form = vec![("client_id", o.client_id.as_str()), ("scope", &scope)];
    let secret = client_secret(o)?;
    if let Some(s) = &secret {
        form.push(("client_secret", s));
    }
    let body = post(device_url, &form)?;
    serde_json::from_value(body)
        .map_err(|e| anyhow!("the device authorization endpoint answered without {e}").into())
}

/// Poll for the device's token (RFC 8628 section 3.4); "authorization_pending"
/// and "slow_down" come back as [`Refusal::Refused`].
pub(super) fn device_token(o: &OAuth2, device_code: &str) -> Result<Grant, Refusal> {
    let form = vec![
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
    ];
    token_request(o, form)
}

fn token_request(o: &OAuth2, grant: Vec<(&str, &str)>) -> Result<Grant, Refusal> {
    let secret = client_secret(o)?;
    let mut form = grant;
    form.push(("client_id", &o.client_id));
    if let Some(s) = &secret {
        form.push(("client_secret", s));
    }
    let body = post(&o.token_url, &form)?;
    serde_json::from_value(body)
        .map_err(|e| anyhow!("the token endpoint answered without {e}").into())
}

fn client_secret(o: &OAuth2) -> Result<Option<String>> {
    o.client_secret_command
        .as_deref()
        .map(|cmd| crate::config::first_line_of("client_secret_command", cmd))
        .transpose()
}

/// POST a form; the JSON answer on success, [`Refusal::Refused`] for an
/// OAuth2 error answer, and a message naming the URL (never the body) otherwise.
fn post(url: &str, form: &[(&str, &str)]) -> Result<serde_json::Value, Refusal> {
    crate::config::check_endpoint(url)?;
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::NativeTls)
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .user_agent(concat!("allears/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent
        .post(url)
        .header("Accept", "application/json")
        .send_form(form.iter().copied())
        .map_err(|e| anyhow!("POST {url}: {e}"))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer of {url}"))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|_| anyhow!("{url} answered HTTP {status} with something other than JSON"))?;
    if let Some(error) = json.get("error").and_then(|e| e.as_str()) {
        return Err(Refusal::Refused {
            error: error.to_string(),
            description: json
                .get("error_description")
                .and_then(|d| d.as_str())
                .map(|d| crate::text::clip(d, 300)),
        });
    }
    if !(200..300).contains(&status) {
        return Err(anyhow!("{url} answered HTTP {status}").into());
    }
    Ok(json)
}
