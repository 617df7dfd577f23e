//! One folder, read-only: EXAMINE, the UIDs above the checkpoint, round
//! trips bounded by count and bytes, each batch handed to the import
//! pipeline and committed with its checkpoint; a new UIDVALIDITY resyncs.

use std::collections::HashSet;
use std::time::Instant;

use anyhow::{Result, anyhow};

use super::FolderReport;
use super::connect::{Session, Shared, imap_error};
use super::folders::Folder;
use super::partial;
use super::wire::{fetch_bodies, fetch_headers, fetch_sections, fetch_sizes, fetch_structures};
use crate::config::{Account, Owner};
use crate::import::Mark;
use crate::store::{Checkpoint, Location, SkippedPart, Store};

/// A batch is also cut at this many bytes, so one batch of large attachments
/// cannot blow memory up (one bigger message still goes alone).
const BATCH_BYTES: u64 = 16 << 20;

/// The connection is gone: the caller stops this account for this run.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(super) struct Broken(pub String);

/// One planned batch: UIDs (ascending) whose bodies are fetched, UIDs of
/// large messages fetched by their structure (`partial.rs`), and (UID,
/// size) of those over the size limit, whose header only is fetched.
#[derive(Debug, Default)]
struct Plan {
    uids: Vec<u32>,
    partial: Vec<u32>,
    too_large: Vec<(u32, u64)>,
}

impl Plan {
    fn len(&self) -> usize {
        self.uids.len() + self.partial.len() + self.too_large.len()
    }

    fn last_uid(&self) -> u32 {
        let large = self.too_large.iter().map(|l| l.0);
        let uids = self.uids.iter().chain(&self.partial).copied();
        uids.chain(large).max().unwrap_or(0)
    }
}

/// Fetch one folder's new messages and store them, batch by batch, each with its checkpoint.
pub(super) fn sync_folder(
    store: &mut Store,
    owner: &Owner,
    account: &Account,
    (session, shared): (&mut Session, &Shared),
    target: &Folder,
    max: u64,
    report: &mut FolderReport,
) -> Result<()> {
    let (folder, sent) = (target.name.as_str(), target.sent);
    let broken = |what: String, e: imap::Error| -> anyhow::Error {
        Broken(format!("{what}: {}", imap_error(&e, account.timeout_secs))).into()
    };
    // Nothing new since the checkpoint: STATUS says so without opening the
    // folder (RFC 3501 6.3.10), which on a server with 170,000 messages in
    // it costs more than the rest of a no-op run. A folder that cannot be
    // asked so is opened as before.
    let t = Instant::now();
    let checkpoint = store.checkpoint(&account.name, folder)?;
    let status = match checkpoint {
        Some(_) => session.status(&target.wire, "(UIDNEXT UIDVALIDITY)").ok(),
        None => None,
    };
    tracing::debug!(
        "{}/{folder}: checkpoint and STATUS in {:.2?}",
        account.name,
        t.elapsed()
    );
    if let Some(cp) = checkpoint
        && let Some(status) = status
        && status.uid_validity == Some(cp.uidvalidity)
        && status
            .uid_next
            .is_some_and(|next| next <= cp.last_uid.saturating_add(1))
    {
        tracing::debug!("{}/{folder}: nothing new (STATUS)", account.name);
        return Ok(());
    }
    let mailbox = session.examine(&target.wire).map_err(|e| match e {
        imap::Error::No(no) => anyhow!("cannot open \"{folder}\": {no}"),
        other => broken(format!("EXAMINE {folder}"), other),
    })?;
    let uidvalidity = mailbox
        .uid_validity
        .ok_or_else(|| anyhow!("the server gave no UIDVALIDITY for \"{folder}\""))?;
    let mut start = 1u32;
    let mut first_sync = true;
    match store.checkpoint(&account.name, folder)? {
        Some(cp) if cp.uidvalidity == uidvalidity => {
            start = cp.last_uid.saturating_add(1);
            first_sync = false;
        }
        Some(cp) => {
            tracing::info!(
                "{}/{folder}: UIDVALIDITY changed ({} -> {uidvalidity}); syncing the folder again",
                account.name,
                cp.uidvalidity
            );
            store.reset_folder(&account.name, folder)?;
            report.resynced = true;
        }
        None => {}
    }
    // Nothing new: UIDs are assigned in ascending order (RFC 3501 section 2.3.1.1).
    if mailbox.exists == 0 || mailbox.uid_next.is_some_and(|next| next <= start) {
        return Ok(());
    }
    let candidates = list_new((session, shared), account, folder, start, first_sync)
        .map_err(|e| broken(format!("listing new UIDs of {folder}"), e))?;
    let top = candidates.iter().map(|c| c.0).max().unwrap_or(0);
    let plans = plan_batches(
        &candidates,
        account.batch as usize,
        (max, account.partial_over()),
    );
    let total: usize = plans.iter().map(Plan::len).sum();
    let bar =
        crate::import::progress_bar(Some(total as u64), &format!("{}/{folder}", account.name));
    let place = format!("imap:{}/{folder}", account.name);
    let result = fetch_and_store(
        store,
        owner,
        shared,
        account,
        folder,
        uidvalidity,
        plans,
        (&place, sent, max),
        report,
        &bar,
    );
    bar.finish_and_clear();
    result?;
    // Everything below UIDNEXT (or the highest UID listed) is now accounted for,
    // including messages `since` left out on purpose.
    let reached = mailbox
        .uid_next
        .map_or(top, |n| n.saturating_sub(1))
        .max(top);
    if reached >= start {
        let cp = Checkpoint {
            uidvalidity,
            last_uid: reached,
        };
        store.save_batch(&[], Some((&account.name, folder, cp)))?;
    }
    if total >= SETTLE_AFTER {
        settle(session, target, account);
    }
    Ok(())
}

/// A fetch of at least this many messages is followed by [`settle`].
const SETTLE_AFTER: usize = 1000;

/// After a large fetch, leave the folder (UNSELECT, RFC 3691: no expunge)
/// and ask its STATUS once. Dovecot leaves the work a long session of
/// FETCHes causes (its index log, its cache) to whoever opens the folder
/// next: measured after 77,000 messages, the next run's STATUS took 226 ms
/// of a 375 ms no-op fetch, and under 1 ms the run after. Asked here, it is
/// paid by the fetch that caused it. A server without UNSELECT is left as
/// it is (CLOSE would do on a read-only folder, but is not worth the risk).
fn settle(session: &mut Session, target: &Folder, account: &Account) {
    let t = Instant::now();
    let unselect = session.capabilities().is_ok_and(|c| c.has_str("UNSELECT"));
    if unselect && session.run_command_and_check_ok("UNSELECT").is_ok() {
        let _ = session.status(&target.wire, "(UIDNEXT UIDVALIDITY)");
        tracing::debug!(
            "{}/{}: left and asked STATUS in {:.2?}",
            account.name,
            target.name,
            t.elapsed()
        );
    }
}

/// (UID, size) of every message at or above `start`; on a first sync with
/// `since`, only those the server dates on or after it (RFC 3501 SEARCH SINCE).
/// UIDs come from `UID SEARCH` (a few bytes each); sizes are asked for in
/// bounded chunks, so a folder of any size never makes one huge response.
fn list_new(
    (session, shared): (&mut Session, &Shared),
    account: &Account,
    folder: &str,
    start: u32,
    first_sync: bool,
) -> std::result::Result<Vec<(u32, u64)>, imap::Error> {
    const SIZES_PER_ROUND_TRIP: usize = 5000;
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {start}:*"))?
        .into_iter()
        // "N:*" with N above the highest UID still matches the last message (RFC 3501 6.4.8).
        .filter(|uid| *uid >= start)
        .collect();
    if first_sync && let Some(since) = &account.since {
        let days = crate::config::parse_days(since).unwrap_or(0);
        let date = imap_date_days_ago(days);
        let keep = session.uid_search(format!("SINCE {date}"))?;
        tracing::debug!(
            "{}/{folder}: since {date}: {} of {} message(s)",
            account.name,
            keep.len(),
            uids.len()
        );
        uids.retain(|uid| keep.contains(uid));
    }
    uids.sort_unstable();
    uids.dedup();
    let mut out = Vec::with_capacity(uids.len());
    for (k, chunk) in uids.chunks(SIZES_PER_ROUND_TRIP).enumerate() {
        let sizes =
            fetch_sizes(shared, &format!("s{k}"), &uid_set(chunk)).map_err(imap::Error::Io)?;
        // A UID without a size was expunged meanwhile; its fetch will say so.
        out.extend(
            chunk
                .iter()
                .map(|uid| (*uid, sizes.get(uid).copied().unwrap_or(0))),
        );
    }
    tracing::debug!(
        "{}/{folder}: {} new UID(s) listed; peak memory so far {}",
        account.name,
        out.len(),
        crate::usage::peak_memory()
    );
    Ok(out)
}

/// RFC 3501 `date` (d-Mon-yyyy) for `days` before now.
fn imap_date_days_ago(days: u32) -> String {
    let then = crate::clock::now()
        .checked_sub(jiff::SignedDuration::from_hours(24 * i64::from(days)))
        .unwrap_or_else(|_| crate::clock::now());
    then.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%-d-%b-%Y")
        .to_string()
}

/// Cut the UIDs into batches of at most `batch` messages and BATCH_BYTES.
/// A message larger than `max` (RFC822.SIZE) is never fetched whole: only
/// its header is, and it counts no bytes. One larger than `partial_over`
/// is fetched by its structure, and counts that many bytes (most of what
/// is fetched of it is text).
fn plan_batches(
    candidates: &[(u32, u64)],
    batch: usize,
    (max, partial_over): (u64, u64),
) -> Vec<Plan> {
    let mut plans = Vec::new();
    let mut cur = Plan::default();
    let mut bytes = 0u64;
    for &(uid, size) in candidates {
        let counted = if size > max {
            0
        } else {
            size.min(partial_over)
        };
        if cur.len() > 0 && (cur.len() >= batch || (counted > 0 && bytes + counted > BATCH_BYTES)) {
            plans.push(std::mem::take(&mut cur));
            bytes = 0;
        }
        bytes += counted;
        if size > max {
            cur.too_large.push((uid, size));
        } else if size > partial_over {
            cur.partial.push(uid);
        } else {
            cur.uids.push(uid);
        }
    }
    if cur.len() > 0 {
        plans.push(cur);
    }
    plans
}

/// "1:3,7,9:10" for ascending UIDs (RFC 3501 `sequence-set`).
pub(crate) fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let mut j = i;
        while j + 1 < uids.len() && uids[j + 1] == uids[j].saturating_add(1) {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j > i {
            out.push_str(&format!("{}:{}", uids[i], uids[j]));
        } else {
            out.push_str(&uids[i].to_string());
        }
        i = j + 1;
    }
    out
}

/// The reader feeds the import pipeline (`import::pipeline`): it fetches a
/// round trip, hands its messages to the parse + classify workers, and ends
/// the batch with its checkpoint, which the store commits in the same
/// transaction as the batch's messages. Memory stays at a handful of batches
/// however large the folder.
#[allow(clippy::too_many_arguments)]
fn fetch_and_store(
    store: &mut Store,
    owner: &Owner,
    shared: &Shared,
    account: &Account,
    folder: &str,
    uidvalidity: u32,
    plans: Vec<Plan>,
    (place, sent, max): (&str, bool, u64),
    report: &mut FolderReport,
    bar: &indicatif::ProgressBar,
) -> Result<()> {
    let timeout = account.timeout_secs;
    let mut unfetched = 0;
    // Every message is parsed: one already stored from another folder is
    // recognised by the store, which records this folder as another place.
    let known = HashSet::<u128>::new();
    let stored = crate::import::pipeline(
        store,
        owner,
        bar,
        (&known, None),
        &mut report.counts,
        |feeder| {
            let at = |uid| Location {
                place: place.to_string(),
                uid,
                sent,
            };
            let failed = |set: &str, e| {
                Broken(format!(
                    "fetching UIDs {} from {folder}: {}",
                    short(set),
                    imap_error(&imap::Error::Io(e), timeout)
                ))
            };
            for (k, plan) in plans.into_iter().enumerate() {
                let mut too_large = plan.too_large.clone();
                let mut got = 0;
                // Large messages: their text parts, or (nothing to leave
                // out, a structure that does not parse) the whole message.
                let mut whole = plan.uids.clone();
                if !plan.partial.is_empty() {
                    let set = uid_set(&plan.partial);
                    let t = Instant::now();
                    let (kept, fallback) = fetch_partial(shared, k, &plan.partial, max)
                        .map_err(|e| failed(&set, e))?;
                    tracing::debug!(
                        "{folder}: {} large message(s) by their structure in {:?}, {} whole",
                        kept.len(),
                        t.elapsed(),
                        fallback.len()
                    );
                    for (uid, raw, skipped) in kept {
                        got += 1;
                        feeder.send_partial(raw, skipped, at(uid))?;
                    }
                    whole.extend(fallback);
                    whole.sort_unstable();
                }
                let wanted: HashSet<u32> = whole.iter().copied().collect();
                if !whole.is_empty() {
                    let set = uid_set(&whole);
                    let t = Instant::now();
                    let fetched = fetch_bodies(shared, &format!("f{k}"), &set, max)
                        .map_err(|e| failed(&set, e))?;
                    tracing::debug!(
                        "{folder}: UIDs {} in {:?}, memory {}",
                        short(&set),
                        t.elapsed(),
                        crate::usage::resident_memory()
                    );
                    for (uid, raw) in fetched.whole {
                        if wanted.contains(&uid) {
                            got += 1;
                            feeder.send(raw, at(uid))?;
                        }
                    }
                    // Larger than RFC822.SIZE said: read past, its header fetched below.
                    too_large.extend(
                        fetched
                            .too_large
                            .into_iter()
                            .filter(|l| wanted.contains(&l.0)),
                    );
                }
                if !too_large.is_empty() {
                    too_large.sort_unstable();
                    let uids: Vec<u32> = too_large.iter().map(|l| l.0).collect();
                    let set = uid_set(&uids);
                    let headers = fetch_headers(shared, &format!("h{k}"), &set, max)
                        .map_err(|e| failed(&set, e))?;
                    for (uid, header) in headers {
                        if let Some(&(_, size)) = too_large.iter().find(|l| l.0 == uid) {
                            got += 1;
                            feeder.send_too_large(header, size, at(uid))?;
                        }
                    }
                }
                unfetched += plan.len() - got.min(plan.len());
                feeder.commit(Some(Mark {
                    account: account.name.clone(),
                    folder: folder.to_string(),
                    checkpoint: Checkpoint {
                        uidvalidity,
                        last_uid: plan.last_uid(),
                    },
                }))?;
            }
            Ok(())
        },
    );
    report.unfetched += unfetched;
    // A broken connection says so itself; anything else went wrong storing.
    stored.map_err(|e| {
        if e.is::<Broken>() {
            e
        } else {
            e.context(format!("storing messages of {}/{folder}", account.name))
        }
    })
}

/// Large messages by their structure (`partial.rs`): for each, its header
/// and text parts put back together, with the parts left out; and the UIDs
/// to fetch whole instead: nothing worth leaving out, or a structure or a
/// section that could not be read (said in a log line). A UID the server no
/// longer has is in neither.
#[allow(clippy::type_complexity)]
fn fetch_partial(
    shared: &Shared,
    k: usize,
    uids: &[u32],
    max: u64,
) -> std::io::Result<(Vec<(u32, Vec<u8>, Vec<SkippedPart>)>, Vec<u32>)> {
    let set = uid_set(uids);
    let trees = fetch_structures(shared, &format!("b{k}"), &set)?;
    let mut fallback = Vec::new();
    let mut wanted = Vec::new();
    for &uid in uids {
        match trees.get(&uid) {
            Some(tree) if tree.skips_any() => wanted.push((uid, partial::sections(tree))),
            Some(_) => fallback.push(uid),
            None => {
                tracing::info!("UID {uid}: no BODYSTRUCTURE this allears can read; fetched whole");
                fallback.push(uid);
            }
        }
    }
    let (mut got, over) = fetch_sections(shared, &format!("p{k}"), &wanted, max)?;
    // Larger than RFC822.SIZE said: fetched whole, which finds it too large.
    fallback.extend(over);
    let mut kept = Vec::with_capacity(wanted.len());
    for (uid, _) in &wanted {
        let Some(sections) = got.remove(uid) else {
            continue;
        };
        match partial::assemble(&trees[uid], &sections) {
            Ok((raw, skipped)) => kept.push((*uid, raw, skipped)),
            Err(e) => {
                tracing::info!(
                    "UID {uid}: its parts do not fit its structure ({e}); fetched whole"
                );
                fallback.push(*uid);
            }
        }
    }
    Ok((kept, fallback))
}

/// A UID set for messages: long ones cut.
fn short(set: &str) -> String {
    if set.len() <= 40 {
        set.to_string()
    } else {
        let head: String = set.chars().take(37).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compressed_ranges() {
        assert_eq!(uid_set(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn batches_are_cut_by_count_and_bytes() {
        let c: Vec<(u32, u64)> = (1..=10).map(|u| (u, 10)).collect();
        let p = plan_batches(&c, 4, (u64::MAX, u64::MAX));
        assert_eq!(
            p.iter().map(|p| p.uids.len()).collect::<Vec<_>>(),
            vec![4, 4, 2]
        );
        let big = vec![(1, BATCH_BYTES), (2, 1), (3, BATCH_BYTES * 2)];
        let p = plan_batches(&big, 100, (u64::MAX, u64::MAX));
        assert_eq!(p.len(), 3, "a message over the byte bound goes alone");
        // By its structure: counting the partial threshold's bytes only.
        let p = plan_batches(&big, 100, (u64::MAX, 1000));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].uids, vec![2]);
        assert_eq!(p[0].partial, vec![1, 3]);
        // Over the size limit: its header only, counting no bytes.
        let p = plan_batches(&big, 100, (BATCH_BYTES, u64::MAX));
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].uids, vec![2]);
        assert_eq!(p[1].too_large, vec![(3, BATCH_BYTES * 2)]);
        assert_eq!(p[1].last_uid(), 3);
    }
}
