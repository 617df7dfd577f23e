//! The IMAP source: connect to the owner's accounts, read each configured
//! folder read-only, and hand new messages to the store batch by batch.
//!
//! Before it: `config.rs` (the `[[account]]` entries). After it: the same
//! pipeline as local mail (`import::pipeline`: parse, classify, then
//! `Store::save_batch`), which commits a batch's messages together with the
//! folder's checkpoint (UIDVALIDITY, last UID) in one transaction, so a run
//! cut short anywhere resumes from the last committed batch with nothing lost
//! and nothing stored twice.
//!
//! Read-only by construction (RFC 3501): folders are opened with EXAMINE
//! (section 6.3.2) and bodies read with `BODY.PEEK[]` (section 6.4.5), so no
//! flag changes; STORE, EXPUNGE, COPY and MOVE are never sent. Only UIDs above
//! the checkpoint are fetched (`UID FETCH`, section 6.4.8); a new UIDVALIDITY
//! (section 2.3.1.1) makes the old UIDs meaningless, so the folder is synced
//! again from scratch and deduplicated by Message-ID. The Sent folder is found
//! by its `\Sent` attribute (RFC 6154) when not configured.
//!
//! The parts: `connect.rs` (TCP, TLS, STARTTLS, login), `folders.rs` (LIST,
//! modified UTF-7, patterns, the Sent folder), `sync.rs` (one folder: new
//! UIDs, batches, checkpoints), `wire.rs` (the linear FETCH reader) and
//! `check.rs` (`allears check`).

mod check;
mod connect;
mod folders;
mod partial;
mod sync;
mod wire;

use anyhow::{Result, bail};

use crate::config::{Account, Config};
use crate::store::{Counts, Store};

pub(crate) use check::check_account;
pub(crate) use connect::login;

/// What happened to one folder in a fetch.
#[derive(Debug, Default)]
pub(crate) struct FolderReport {
    pub folder: String,
    pub counts: Counts,
    /// UIDs the server listed but returned no body for (expunged meanwhile).
    pub unfetched: usize,
    /// The folder's UIDVALIDITY changed and it was synced again.
    pub resynced: bool,
    pub error: Option<String>,
}

/// What happened to one account in a fetch.
#[derive(Debug, Default)]
pub(crate) struct AccountReport {
    pub account: String,
    pub folders: Vec<FolderReport>,
    /// Why the account (or the rest of it) could not be fetched.
    pub error: Option<String>,
}

impl AccountReport {
    pub fn failed(&self) -> bool {
        self.error.is_some() || self.folders.iter().any(|f| f.error.is_some())
    }
}

/// Fetch every configured account (or only `only`); one failing does not stop the others.
pub(crate) fn fetch_accounts(
    store: &mut Store,
    config: &Config,
    only: Option<&str>,
) -> Vec<AccountReport> {
    config
        .account
        .iter()
        .filter(|a| only.is_none_or(|o| o == a.name))
        .map(|a| fetch_account(store, config, a))
        .collect()
}

fn fetch_account(store: &mut Store, config: &Config, account: &Account) -> AccountReport {
    let mut report = AccountReport {
        account: account.name.clone(),
        ..AccountReport::default()
    };
    let t = std::time::Instant::now();
    let (mut session, shared) = match connect::login_shared(config, account) {
        Ok(s) => s,
        Err(e) => {
            report.error = Some(e.to_string());
            return report;
        }
    };
    tracing::debug!(
        "{}: connected and logged in in {:.2?}",
        account.name,
        t.elapsed()
    );
    let t = std::time::Instant::now();
    let folders = match folders::folders_to_fetch(&mut session, account) {
        Ok(f) => f,
        Err(e) => {
            report.error = Some(format!("listing folders: {e:#}"));
            return report;
        }
    };
    tracing::debug!("{}: folders listed in {:.2?}", account.name, t.elapsed());
    for missing in &folders.missing {
        report.folders.push(FolderReport {
            folder: missing.clone(),
            error: Some(format!("no folder named \"{missing}\" on the server")),
            ..FolderReport::default()
        });
    }
    for folder in &folders.chosen {
        let mut fr = FolderReport {
            folder: folder.name.clone(),
            ..FolderReport::default()
        };
        let outcome = sync::sync_folder(
            store,
            &config.owner,
            account,
            (&mut session, &shared),
            folder,
            config.store.max_message_bytes(),
            &mut fr,
        );
        if let Err(e) = outcome {
            fr.error = Some(format!("{e:#}"));
            let broken = e.downcast_ref::<sync::Broken>().is_some();
            report.folders.push(fr);
            if broken {
                report.error = Some(
                    "the connection broke; the rest of this account waits for the next run, which resumes after the last saved batch".to_string(),
                );
                return report;
            }
            continue;
        }
        report.folders.push(fr);
    }
    let t = std::time::Instant::now();
    let _ = session.logout();
    tracing::debug!("{}: logged out in {:.2?}", account.name, t.elapsed());
    report
}

/// Fail early with the account name when a config cannot work at all.
pub(crate) fn require_accounts(config: &Config, only: Option<&str>) -> Result<()> {
    if config.account.is_empty() {
        bail!("{}: no [[account]] is configured", config.origin.name());
    }
    if let Some(o) = only
        && !config.account.iter().any(|a| a.name == o)
    {
        bail!("{}: no account named \"{o}\"", config.origin.name());
    }
    Ok(())
}
