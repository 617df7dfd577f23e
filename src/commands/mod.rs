//! Replies to a digest: reading the owner's commands ("#12 done",
//! "#12 reply ...", "T3 merge T1"), deciding whether a message may command
//! at all, and applying what it says.
//!
//! Comes after import: command messages arrive like any mail (IMAP or local)
//! and are picked out here. The parts: `grammar.rs` (the one table of
//! commands, which also makes the help), `auth.rs` (only the owner
//! commands), `apply.rs` (state changes and queued mail, one transaction per
//! command message) and `outgoing.rs` (answers, notes, results, and sending
//! the outbox). A message that may not command is recorded and mentioned in
//! the next digest, and nobody is written to about it (no backscatter).

mod apply;
mod auth;
mod grammar;
mod outgoing;

use anyhow::Result;
use jiff::Timestamp;

use crate::config::Config;
use crate::store::Store;

pub(crate) use apply::{DEFAULT_MAX_LINES, Report, apply_and_queue};
pub(crate) use grammar::parse;
pub(crate) use outgoing::{flush, results_message};

/// What one command message did, for its results message.
#[derive(Debug)]
pub(crate) struct Handled {
    pub message_id: String,
    pub subject: String,
    pub report: Report,
}

/// Pick out command messages not yet processed, check who sent them, apply
/// them and queue the mail they ask for. A message that may not command is
/// recorded (and shown in the next digest) and nobody is written to.
pub(crate) fn process(store: &mut Store, config: &Config, now: Timestamp) -> Result<Vec<Handled>> {
    let tokens: Vec<auth::Token> = store
        .digest_tokens()?
        .into_iter()
        .map(|(token, made)| auth::Token { token, made })
        .collect();
    let digest_ids: Vec<String> = store.digests()?.into_iter().map(|d| d.message_id).collect();
    let tz = config.zone();
    let max = config.commands.max_lines.unwrap_or(DEFAULT_MAX_LINES);
    let mut handled = Vec::new();
    // Only replies to a digest and the owner's own mail can command: picked
    // out as the store lends its rows, so no copy of every message is held.
    let mut candidates = Vec::new();
    store.for_each_head(|h| {
        let replies = h
            .in_reply_to
            .into_iter()
            .chain(h.refs.split_whitespace())
            .any(|id| digest_ids.iter().any(|d| d == id));
        if replies || config.owner.is_owner(h.from_addr) {
            candidates.push(h.message_id.to_string());
        }
        Ok(())
    })?;
    for message_id in candidates {
        if store.command_seen(&message_id)? {
            continue;
        }
        let Some(raw) = store.raw(&message_id)? else {
            continue;
        };
        let msg = crate::message::parse(&raw);
        if !auth::is_command_message(&msg, config, &digest_ids, &tokens) {
            continue;
        }
        if let Err(reason) = auth::authenticate(&msg, &raw, config, &tokens, now.as_second()) {
            tracing::warn!(
                "ignored a reply to the digest, <{}>: {}",
                crate::text::visible_line(&message_id),
                crate::text::visible_line(&reason)
            );
            store.record_command(&message_id, false, &format!("ignored: {reason}"))?;
            continue;
        }
        let text = crate::newtext::new_text(&msg.text).text;
        let parsed = parse(&text, max, now, &tz);
        let report = apply_and_queue(store, config, &message_id, &parsed)
            .map_err(|e| e.context(format!("applying the commands of <{}>", message_id)))?;
        handled.push(Handled {
            message_id,
            subject: msg.subject.clone(),
            report,
        });
    }
    Ok(handled)
}

#[cfg(test)]
mod tests {
    use super::grammar::Command;
    use super::*;

    fn now() -> Timestamp {
        "2026-11-26T07:30:00Z".parse().unwrap()
    }

    fn config() -> Config {
        let text = "[owner]\nname = 'Robin Ellis'\naddresses = ['robin@ellis-on-it.example']\n[commands]\nauthserv_id = 'mx.ellis-on-it.example'\n";
        Config::parse(text, crate::config::Origin::default()).unwrap()
    }

    fn store_mail(store: &mut Store, config: &Config, raw: &str, sent: bool) {
        let loc = crate::store::Location {
            place: "test".into(),
            uid: 0,
            sent,
        };
        let inc = crate::import::prepare(raw.as_bytes().to_vec(), loc, &config.owner);
        store.save_batch(&[inc], None).unwrap();
    }

    /// A store with a digest, a reader's question as item #1, and a reply to the digest.
    /// What the owner's own server adds to the owner's own mail.
    const PASS: &str =
        "Authentication-Results: mx.ellis-on-it.example; dkim=pass header.d=ellis-on-it.example\n";

    fn scene(reply_from: &str, token_in_to: bool, auth: &str) -> (Store, Config, String) {
        let config = config();
        let mut store = Store::in_memory().unwrap();
        let token = store.digest_token("2026-11-26").unwrap();
        store
            .save_digest("2026-11-26", "digest-1@ellis-on-it.example", b"x", &[1])
            .unwrap();
        store_mail(
            &mut store,
            &config,
            "Message-ID: <q@reader>\nFrom: Marta <marta@reader.example>\nSubject: Spam filter?\n\nWhich spam filter do you use?\n",
            false,
        );
        let item = store.item_for("msg:q@reader").unwrap();
        assert_eq!(item.id, 1);
        let to = if token_in_to {
            format!("robin+{token}@ellis-on-it.example")
        } else {
            "robin@ellis-on-it.example".into()
        };
        let reply = format!(
            "Message-ID: <cmd@owner>\nFrom: {reply_from}\nTo: {to}\nIn-Reply-To: <digest-1@ellis-on-it.example>\n{auth}Subject: Re: Your readers\n\n#1 reply\nrspamd, since 2019.\n\nOn Thu, allears wrote:\n> #1 Marta\n"
        );
        store_mail(&mut store, &config, &reply, false);
        (store, config, token)
    }

    #[test]
    fn the_owner_answers_a_reader_once() {
        let (mut store, config, _) = scene("Robin <robin@ellis-on-it.example>", true, PASS);
        let handled = process(&mut store, &config, now()).unwrap();
        assert_eq!(handled.len(), 1, "{handled:?}");
        let mut sent = Vec::new();
        outgoing::flush(&mut store, &config, &mut |to, eml| {
            sent.push((to.to_string(), String::from_utf8_lossy(eml).into_owned()));
            Ok(())
        })
        .unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "marta@reader.example");
        assert!(
            sent[0].1.contains("In-Reply-To: <q@reader>"),
            "{}",
            sent[0].1
        );
        assert!(
            sent[0].1.contains("Subject: Re: Spam filter?"),
            "{}",
            sent[0].1
        );
        assert!(sent[0].1.contains("rspamd, since 2019."), "{}", sent[0].1);
        assert!(
            !sent[0].1.contains("> #1 Marta"),
            "the quoted digest is not part of the answer"
        );
        crate::analyze::refresh(&mut store, &config.owner).unwrap();
        let q = store.row_by_message_id("q@reader").unwrap().unwrap();
        assert!(
            q.answered_by.is_some(),
            "the sent answer counts as the owner's reply"
        );
        // Processing again does nothing more.
        assert!(process(&mut store, &config, now()).unwrap().is_empty());
        assert!(store.pending_mail().unwrap().is_empty());
    }

    #[test]
    fn a_reply_from_someone_else_commands_nothing() {
        let (mut store, config, _) = scene("Mallory <m@evil.example>", true, PASS);
        assert!(process(&mut store, &config, now()).unwrap().is_empty());
        assert!(store.pending_mail().unwrap().is_empty());
        let refused = store.refused_commands_since(0).unwrap();
        assert_eq!(refused.len(), 1);
        assert!(refused[0].1.contains("m@evil.example"), "{refused:?}");
    }

    #[test]
    fn a_reply_without_the_token_commands_nothing() {
        let (mut store, config, _) = scene("Robin <robin@ellis-on-it.example>", false, PASS);
        assert!(process(&mut store, &config, now()).unwrap().is_empty());
        assert!(store.pending_mail().unwrap().is_empty());
        assert_eq!(store.refused_commands_since(0).unwrap().len(), 1);
    }

    #[test]
    fn a_failing_dkim_result_commands_nothing() {
        let (mut store, config, _) = scene(
            "Robin <robin@ellis-on-it.example>",
            true,
            "Authentication-Results: mx.ellis-on-it.example; dkim=fail; spf=pass\n",
        );
        assert!(process(&mut store, &config, now()).unwrap().is_empty());
        assert!(store.pending_mail().unwrap().is_empty());
    }

    /// `T tell` writes to each reader who asked, once, and only after `written`.
    #[test]
    fn tell_notes_each_asker_once_after_written() {
        let config = config();
        let mut store = Store::in_memory().unwrap();
        for (id, who) in [
            ("r1@x", "ann@reader.example"),
            ("r2@x", "ben@reader.example"),
            ("r3@x", "ann@reader.example"),
        ] {
            let raw = format!(
                "Message-ID: <{id}>\nFrom: {who}\nSubject: idea\n\nCould you write about IPv6 at home?\n"
            );
            store_mail(&mut store, &config, &raw, false);
        }
        let groups = crate::analyze::topic_groups(&mut store, &config).unwrap();
        assert_eq!(groups.len(), 1, "{groups:?}");
        let t = groups[0].id;
        let early = apply::apply(&mut store, &config, "cmd-1", &[Command::Tell(t)]);
        assert!(early.outgoing.is_empty());
        assert!(
            early.outcomes[0].to_string().contains("not written yet"),
            "{:?}",
            early.outcomes
        );
        apply::apply(
            &mut store,
            &config,
            "cmd-2",
            &[Command::Written(
                t,
                "https://ellis-on-it.example/ipv6".into(),
            )],
        );
        let told = apply::apply(&mut store, &config, "cmd-3", &[Command::Tell(t)]);
        let mut to: Vec<&str> = told.outgoing.iter().map(|o| o.to.as_str()).collect();
        to.sort();
        assert_eq!(to, vec!["ann@reader.example", "ben@reader.example"]);
        let note = String::from_utf8_lossy(&told.outgoing[0].eml).into_owned();
        assert!(note.contains("https://ellis-on-it.example/ipv6"), "{note}");
        for o in &told.outgoing {
            let (t, who) = o.told.clone().unwrap();
            store.mark_told(t, &who).unwrap();
        }
        let again = apply::apply(&mut store, &config, "cmd-4", &[Command::Tell(t)]);
        assert!(again.outgoing.is_empty(), "each reader is told once");
        assert!(
            again.outcomes[0].to_string().contains("not done again"),
            "{:?}",
            again.outcomes
        );
    }
}
