//! The tokens `allears login` got for an account, kept in a file only the
//! owner can read, and the access token refreshed shortly before it expires
//! (RFC 6749 section 6).
//!
//! The file is `allears-oauth2-NAME.json` beside the store (`allears.db`, or
//! `[store] path`, or `--db`), mode 0600, written whole to a temporary file
//! and renamed. There is no OS keyring: on Linux the `keyring` crate needs
//! the Secret Service over D-Bus, which the headless servers allears runs on
//! do not have. A lock file beside it keeps two allears processes (the
//! daemon and a `fetch`) from refreshing at once, since a provider that
//! rotates refresh tokens honours only the newer one.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::client::{self, Grant};
use super::{AccessToken, Want};
use crate::config::{Config, OAuth2};

/// Refresh this many seconds before the access token expires, so it does not
/// expire between being read here and being checked by the server.
const EARLY_SECS: u64 = 120;

/// What the file holds. No `Debug`: it is tokens.
#[derive(Serialize, Deserialize)]
pub(super) struct Saved {
    pub access_token: String,
    /// Unix seconds; `None` when the provider did not say.
    pub expires_at: Option<u64>,
    pub refresh_token: Option<String>,
    /// The client and endpoint that issued them: no other can refresh them.
    pub client_id: String,
    pub token_url: String,
}

impl Saved {
    /// A grant, keeping the old refresh token when the provider did not rotate it.
    pub fn from_grant(g: Grant, old_refresh: Option<String>, o: &OAuth2) -> Saved {
        Saved {
            access_token: g.access_token,
            expires_at: g.expires_in.map(|s| unix_now() + s),
            refresh_token: g.refresh_token.or(old_refresh),
            client_id: o.client_id.clone(),
            token_url: o.token_url.clone(),
        }
    }
}

/// Where the tokens of `account` are kept: beside the store.
pub(crate) fn token_file(config: &Config, account: &str) -> PathBuf {
    let db = config.db_path();
    let dir = db.parent().unwrap_or(Path::new("."));
    let safe: String = account
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("allears-oauth2-{safe}.json"))
}

/// A valid access token for the account: the saved one, or a refreshed one
/// when it is about to expire or `want` is [`Want::New`].
pub(super) fn fresh(config: &Config, name: &str, o: &OAuth2, want: Want) -> Result<AccessToken> {
    let path = token_file(config, name);
    let _lock = lock(&path)?;
    let saved = load(&path, name)?;
    if saved.client_id != o.client_id || saved.token_url != o.token_url {
        bail!(
            "the OAuth2 token of account {name} was issued to another client_id or token_url: run `allears login {name}`"
        );
    }
    let early = unix_now() + EARLY_SECS;
    if want == Want::Any && saved.expires_at.is_none_or(|e| e > early) {
        return AccessToken::new(&saved.access_token, "the saved token");
    }
    let Some(refresh_token) = saved.refresh_token else {
        bail!(
            "the OAuth2 access token of account {name} has expired and the provider gave no refresh token: run `allears login {name}`"
        );
    };
    let grant = match client::refresh(o, &refresh_token) {
        Ok(g) => g,
        Err(r) if r.code() == Some("invalid_grant") => bail!(
            "the OAuth2 provider refused the refresh token of account {name} ({r}): it was revoked or has expired; run `allears login {name}`"
        ),
        Err(r @ client::Refusal::Refused { .. }) => bail!(
            "refreshing the OAuth2 token of account {name}: the provider said {r}; run `allears login {name}` if it persists"
        ),
        Err(client::Refusal::Other(e)) => {
            return Err(e.context(format!("refreshing the OAuth2 token of account {name}")));
        }
    };
    let saved = Saved::from_grant(grant, Some(refresh_token), o);
    save(&path, &saved)?;
    tracing::debug!("account {name}: OAuth2 access token refreshed");
    AccessToken::new(&saved.access_token, "the token endpoint")
}

/// For `allears check`: what is saved for the account, without its values;
/// `None` when nothing usable is (the login that follows says why).
pub(crate) fn describe_saved(config: &Config, name: &str) -> Option<String> {
    let path = token_file(config, name);
    match load(&path, name) {
        Err(_) => None,
        Ok(s) => {
            let left = match s.expires_at {
                Some(e) if e > unix_now() => format!("valid for {} min", (e - unix_now()) / 60),
                Some(_) => "expired".to_string(),
                None => "lifetime unknown".to_string(),
            };
            let refresh = if s.refresh_token.is_some() {
                "a refresh token"
            } else {
                "no refresh token"
            };
            Some(format!(
                "tokens in {} (owner only): access token {left}, {refresh}",
                path.display()
            ))
        }
    }
}

fn load(path: &Path, name: &str) -> Result<Saved> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "no OAuth2 token for account {name} yet ({} does not exist): run `allears login {name}`",
            path.display()
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    if let Some(mode) = crate::config::readable_by_others(path)? {
        bail!(
            "{} holds OAuth2 tokens but others can read it (mode {mode:o}): chmod 600 it, or run `allears login {name}` again",
            path.display(),
        );
    }
    serde_json::from_str(&text).map_err(|_| {
        anyhow::anyhow!(
            "{} is not a token file allears wrote: run `allears login {name}`",
            path.display()
        )
    })
}

/// Write the tokens: a 0600 temporary file, synced, renamed over the old one.
pub(super) fn save(path: &Path, saved: &Saved) -> Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    let json = serde_json::to_vec_pretty(saved).context("encoding the token file")?;
    f.write_all(&json)
        .and_then(|()| f.sync_all())
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

/// An exclusive lock on `PATH.lock`, held until the returned file is dropped.
fn lock(path: &Path) -> Result<File> {
    let lock_path = path.with_extension("lock");
    if let Some(dir) = lock_path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("opening {}", lock_path.display()))?;
    f.lock()
        .with_context(|| format!("locking {}", lock_path.display()))?;
    Ok(f)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_file_is_written_for_the_owner_only() {
        let dir = std::env::temp_dir().join(format!("allears-tok-{}", std::process::id()));
        let path = dir.join("allears-oauth2-main.json");
        let saved = Saved {
            access_token: "a".into(),
            expires_at: Some(1),
            refresh_token: Some("r".into()),
            client_id: "c".into(),
            token_url: "https://x.example/token".into(),
        };
        save(&path, &saved).unwrap();
        save(&path, &saved).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            load(&path, "main").unwrap().refresh_token.as_deref(),
            Some("r")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
