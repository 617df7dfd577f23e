//! Classification through the real binary: mail shapes the labelled sets do
//! not hold, hostile input, the owner's topic merge, and the shared corpora
//! of automated mail (sisimai, flufl.bounce) as an extra measurement.

use std::path::Path;
use std::time::Instant;

use serde_json::Value;

use crate::support::{Env, corpora};

/// Import `mail/` and return `messages --json` by Message-ID.
fn judge(env: &Env) -> std::collections::HashMap<String, Value> {
    env.run(&["import", "mail"]).ok();
    env.run(&["messages", "--json"])
        .json_lines()
        .into_iter()
        .map(|m| (m["message_id"].as_str().unwrap_or("").to_string(), m))
        .collect()
}

fn mail(id: &str, headers: &str, body: &str) -> String {
    format!("Message-ID: <{id}>\nDate: Tue, 24 Nov 2026 10:00:00 +0000\n{headers}\n\n{body}\n")
}

#[test]
fn a_list_post_asks_the_owner_only_when_it_addresses_them() {
    let env = Env::new();
    let list = "To: ops@lists.example.org\nList-Id: Ops people <ops.lists.example.org>\nList-Post: <mailto:ops@lists.example.org>";
    let cases = [
        (
            "l1@x",
            "Has anybody moved their DHCP to Kea yet? Any gotchas?",
            false,
        ),
        (
            "l2@x",
            "Robin, you covered Kea last spring: did you keep the old leases file?",
            true,
        ),
        ("l3@x", "Priya, which switch did you end up buying?", false),
        (
            "l4@x",
            "Thanks all, the reload fixed it. Lovely list.",
            false,
        ),
    ];
    for (id, body, _) in &cases {
        env.write(
            &format!("mail/{id}.eml"),
            mail(
                id,
                &format!("From: P <p@example.net>\nSubject: kea\n{list}"),
                body,
            ),
        );
    }
    let got = judge(&env);
    for (id, body, asks) in cases {
        let m = &got[id];
        assert_eq!(m["source"], "list", "{id}: {m}");
        assert_eq!(m["asks_owner"], asks, "{id} {body:?}: {}", m["reasons"]);
    }
}

#[test]
fn a_forum_post_sent_as_auto_generated_is_still_a_list_post() {
    let env = Env::new();
    let headers = "From: ana via Forum <noreply@forum.example>\nTo: robin@ellis-on-it.example\nSubject: [Forum] Backups\nList-Id: Forum | Backups <backups.forum.example>\nAuto-Submitted: auto-generated\nX-Discourse-Post-Id: 41\nX-Discourse-Topic-Id: 9";
    env.write(
        "mail/d.eml",
        mail(
            "d1@forum",
            headers,
            "@robin would you write a piece on restic versus borg?",
        ),
    );
    let summary = "From: Forum Summary <noreply@forum.example>\nTo: robin@ellis-on-it.example\nSubject: [Forum] Summary\nAuto-Submitted: auto-generated\nList-Unsubscribe: <https://forum.example/u>";
    env.write(
        "mail/s.eml",
        mail(
            "s1@forum",
            summary,
            "Popular topics\n- Is borg still maintained? (3 replies)",
        ),
    );
    let got = judge(&env);
    assert_eq!(got["d1@forum"]["source"], "list", "{}", got["d1@forum"]);
    assert_eq!(got["d1@forum"]["asks_owner"], true, "{}", got["d1@forum"]);
    assert_eq!(got["d1@forum"]["topics"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        got["s1@forum"]["source"], "automated",
        "{}",
        got["s1@forum"]
    );
}

#[test]
fn wordpress_reply_comment_answers_its_parent_by_comment_id() {
    let env = Env::new();
    let parent = "New comment on your post \"Routers\"\nAuthor: Ann (IP address: 192.0.2.1, x)\nEmail: ann@example.net\nURL: \nComment: \nWhich firmware do you run on it?\n\nYou can see all comments on this post here:\nhttps://blog.example/routers/#comments\n\nPermalink: https://blog.example/routers/#comment-77\nTrash it: https://blog.example/wp-admin/comment.php?action=trash&c=77#wpbody-content\n";
    let other = "New comment on your post \"Routers\"\nAuthor: Ben (IP address: 192.0.2.2, x)\nEmail: ben@example.net\nURL: \nComment: \nAnd how often do you update it?\n\nPermalink: https://blog.example/routers/#comment-78\n";
    let reply = "New comment on your post \"Routers\"\nAuthor: Robin Ellis (IP address: 192.0.2.3, x)\nEmail: robin@ellis-on-it.example\nURL: \nIn reply to: https://blog.example/wp-admin/comment.php?action=editcomment&c=77#wpbody-content\nComment: \nOpenWrt, always.\n\nPermalink: https://blog.example/routers/#comment-79\n";
    let h = "From: Blog <wordpress@blog.example>\nTo: robin@ellis-on-it.example\nSubject: [Blog] Comment: \"Routers\"";
    env.write("mail/1.eml", mail("c77@blog", h, parent));
    env.write("mail/2.eml", mail("c78@blog", h, other));
    env.write("mail/3.eml", mail("c79@blog", h, reply));
    let got = judge(&env);
    assert_eq!(got["c79@blog"]["source"], "own", "{}", got["c79@blog"]);
    assert_eq!(got["c77@blog"]["answered"], true, "{}", got["c77@blog"]);
    assert_eq!(
        got["c78@blog"]["answered"], false,
        "a reply to 77 does not answer 78"
    );
    assert_eq!(got["c78@blog"]["asks_owner"], true);
}

#[test]
fn hostile_mail_gets_a_decision_with_a_reason() {
    let env = Env::new();
    let mut nested = String::from(
        "Message-ID: <nest@x>\nFrom: a@example.net\nContent-Type: multipart/mixed; boundary=b0\n\n",
    );
    for i in 0..200 {
        nested.push_str(&format!(
            "--b{i}\nContent-Type: multipart/mixed; boundary=b{}\n\n",
            i + 1
        ));
    }
    nested.push_str("--b200\nContent-Type: text/plain\n\nCould you help?\n");
    env.write("mail/nested.eml", &nested);
    env.write("mail/bin.eml",
        "Message-ID: <bin@x>\nFrom: \u{0}\u{1}@@@\nSubject: =?x?B?####?=\n\n\u{fffd}??? ¿¿¿ ？？？ 。。。\n",
    );
    env.write("mail/empty.eml", "Message-ID: <empty@x>\n\n");
    let got = judge(&env);
    for id in ["nest@x", "bin@x", "empty@x"] {
        let m = got.get(id).unwrap_or_else(|| panic!("{id} not stored"));
        let reasons = m["reasons"].as_array().map(Vec::len).unwrap_or(0);
        assert!(reasons >= 2, "{id}: a source and an asks reason: {m}");
    }
}

#[test]
fn a_megabyte_of_quoted_history_stays_fast() {
    let env = Env::new();
    let mut body = String::from(
        "Robin, could you look at the config below?\n\nOn Mon, 23 Nov 2026, Robin Ellis wrote:\n",
    );
    while body.len() < 1_100_000 {
        body.push_str(
            "> Is this the line that breaks? Could you check? What about https://x.example/?a=1\n",
        );
    }
    env.write(
        "mail/big.eml",
        mail(
            "big@x",
            "From: a@example.net\nTo: robin@ellis-on-it.example\nSubject: big",
            &body,
        ),
    );
    let start = Instant::now();
    let got = judge(&env);
    let took = start.elapsed();
    eprintln!("1.1 MB quoted history imported and judged in {took:?}");
    assert!(took.as_secs() < 20, "took {took:?}");
    assert_eq!(got["big@x"]["asks_owner"], true, "{}", got["big@x"]);
    let q = got["big@x"]["question"].as_str().unwrap_or("");
    assert!(
        q.starts_with("Robin, could you look"),
        "the question is the new text's: {q:?}"
    );
}

#[test]
fn topic_merge_folds_one_topic_into_another() {
    let env = Env::new();
    let h = "From: a@example.net\nTo: robin@ellis-on-it.example\nSubject: idea";
    env.write(
        "mail/1.eml",
        mail("t1@x", h, "Could you write about Nextcloud for a choir?"),
    );
    env.write(
        "mail/2.eml",
        mail(
            "t2@x",
            "From: b@example.net\nTo: robin@ellis-on-it.example\nSubject: idea",
            "I'd love a column on recording birdsong in the garden.",
        ),
    );
    env.run(&["import", "mail"]).ok();
    let before = env.run(&["topics", "--json"]).json_lines();
    assert_eq!(before.len(), 2, "{before:?}");
    let a = before[0]["id"].as_str().expect("id").to_string();
    let b = before[1]["id"].as_str().expect("id").to_string();
    env.run(&["topic", "merge", &a, &b]).ok();
    let after = env.run(&["topics", "--json"]).json_lines();
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["messages"].as_array().map(Vec::len), Some(2));
    assert_eq!(after[0]["id"].as_str(), Some(b.as_str()));
    let missing = env.run(&["topic", "merge", "T999", &b]);
    assert!(
        !missing.status.success() && missing.stderr.contains("T999"),
        "{}",
        missing.stderr
    );
}

/// Share of files the binary judges automated; each file imported by name.
fn automated_share(env: &Env, files: &[std::path::PathBuf]) -> (usize, usize, Vec<String>) {
    for chunk in files.chunks(200) {
        let mut args = vec!["import".to_string()];
        args.extend(chunk.iter().map(|p| p.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        env.run(&args);
    }
    let msgs = env.run(&["messages", "--json"]).json_lines();
    let misses: Vec<String> = msgs
        .iter()
        .filter(|m| m["source"] != "automated")
        .map(|m| format!("{} {} {}", m["source"], m["subject"], m["from"]))
        .collect();
    (msgs.len() - misses.len(), msgs.len(), misses)
}

fn files_in(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn corpus_bounces_and_auto_replies_are_automated() {
    let Some(root) = corpora("corpus_bounces_and_auto_replies_are_automated") else {
        return;
    };
    let sets = [
        (
            "sisimai maildir/bsd",
            root.join("sisimai-set-of-emails/maildir/bsd"),
            0.95,
        ),
        (
            "flufl-bounce",
            root.join("flufl-bounce/flufl/bounce/tests/data"),
            0.9,
        ),
    ];
    for (name, dir, bar) in sets {
        let files = files_in(&dir);
        assert!(!files.is_empty(), "{name}: no files in {}", dir.display());
        let env = Env::new();
        let (auto, total, misses) = automated_share(&env, &files);
        let share = auto as f64 / total.max(1) as f64;
        eprintln!("{name}: {auto}/{total} judged automated ({share:.3})");
        for m in misses.iter().take(15) {
            eprintln!("   not automated: {m}");
        }
        assert!(share >= bar, "{name}: {share:.3} < {bar}");
    }
}

#[test]
fn a_contact_form_message_is_a_reader_writing_through_the_blog() {
    let env = Env::new();
    let h = "From: Blog <wordpress@blog.example>\nTo: robin@ellis-on-it.example\nReply-To: Nia Obi <nia@example.net>\nSubject: [Blog] Contact form: a question";
    let body = "From: Nia Obi <nia@example.net>\nSubject: a question\n\nMessage Body:\nWould you write about e-readers for the visually impaired?\n\n-- \nThis e-mail was sent from a contact form on Blog (https://blog.example)";
    env.write("mail/f.eml", mail("form1@blog", h, body));
    env.write("mail/r.eml",
        mail(
            "reset1@blog",
            "From: Blog <wordpress@blog.example>\nTo: robin@ellis-on-it.example\nSubject: [Blog] Password Reset",
            "Someone has requested a password reset. Was it you?\nhttps://blog.example/wp-login.php?action=rp",
        ),
    );
    let got = judge(&env);
    let m = &got["form1@blog"];
    // A relay of a reader's words, as a comment notice is (every labelled
    // set written by others judges it so).
    assert_eq!(m["source"], "comment", "{m}");
    assert_eq!(m["asks_owner"], true, "{m}");
    assert_eq!(m["context"]["author"]["email"], "nia@example.net", "{m}");
    assert_eq!(got["reset1@blog"]["source"], "automated");
}

#[test]
fn corpus_real_list_mail_is_list_mail() {
    let Some(root) = corpora("corpus_real_list_mail_is_list_mail") else {
        return;
    };
    let env = Env::new();
    let lkml = root.join("notmuch/test/corpora/lkml");
    env.run(&["import", lkml.to_str().expect("utf-8 path")])
        .ok();
    let msgs = env.run(&["messages", "--json"]).json_lines();
    let lists = msgs.iter().filter(|m| m["source"] == "list").count();
    let share = lists as f64 / msgs.len().max(1) as f64;
    eprintln!(
        "notmuch lkml: {lists}/{} judged list ({share:.3})",
        msgs.len()
    );
    assert!(msgs.len() > 100, "read {} messages", msgs.len());
    assert!(share >= 0.95, "{share:.3}");
}

#[test]
fn a_list_reply_quoting_the_owner_answers_their_call_whatever_its_ids() {
    let env = Env::new();
    let list = "To: ops@lists.example.org\nList-Id: <ops.lists.example.org>\nList-Post: <mailto:ops@lists.example.org>";
    let body = "What about printers that still work with Linux?\n\nOn Mon, 23 Nov 2026 at 09:00, Robin Ellis <robin@ellis-on-it.example> wrote:\n> So: what should I write about next?\n";
    let headers = format!(
        "From: Kai <kai@example.net>\nSubject: Re: ideas\nIn-Reply-To: <CAF00d@mail.gmail.example>\n{list}"
    );
    env.write("mail/k.eml", mail("k1@x", &headers, body));
    let other = "What about printers?\n\nOn Mon, 23 Nov 2026 at 09:00, Lee Park <lee@example.net> wrote:\n> Any printer tips?\n";
    let headers = format!(
        "From: Kai <kai@example.net>\nSubject: Re: printers\nIn-Reply-To: <CAF11d@mail.gmail.example>\n{list}"
    );
    env.write("mail/o.eml", mail("k2@x", &headers, other));
    let got = judge(&env);
    assert_eq!(got["k1@x"]["asks_owner"], true, "{}", got["k1@x"]);
    assert_eq!(
        got["k1@x"]["topics"].as_array().map(Vec::len),
        Some(1),
        "{}",
        got["k1@x"]
    );
    assert_eq!(
        got["k2@x"]["asks_owner"], false,
        "a reply to Lee asks Lee: {}",
        got["k2@x"]
    );
}

#[test]
fn requests_in_other_words_and_languages_group_and_others_stay_apart() {
    let env = Env::new();
    let requests = [
        (
            "g1",
            "photos",
            "Could you write about self-hosting photos instead of Google Photos?",
        ),
        (
            "g2",
            "photos",
            "¿Podrías escribir sobre cómo guardar las fotos familiares en casa, sin la nube?",
        ),
        (
            "g3",
            "photos",
            "Would you consider a piece on Immich for a family photo library?",
        ),
        (
            "g4",
            "repair",
            "Könnten Sie über die Reparatur alter Laptops für Schulen schreiben?",
        ),
        (
            "g5",
            "repair",
            "What about a piece on refurbishing old laptops for students?",
        ),
        (
            "g6",
            "vpn",
            "Could you write about setting up a home VPN for travel?",
        ),
        (
            "g7",
            "printer",
            "Could you write about choosing a printer that isn't a subscription trap?",
        ),
        (
            "g8",
            "solar",
            "Could you write about solar panels for a small farmhouse?",
        ),
        (
            "g9",
            "solar",
            "Me encantaría un artículo sobre placas solares en el tejado.",
        ),
    ];
    for (id, _, text) in &requests {
        let h = format!(
            "From: {id} <{id}@example.net>\nTo: robin@ellis-on-it.example\nSubject: idea\nContent-Type: text/plain; charset=utf-8"
        );
        env.write(
            &format!("mail/{id}.eml"),
            mail(
                &format!("{id}@x"),
                &h,
                &format!("Hi Robin,\n\n{text}\n\nThanks"),
            ),
        );
    }
    env.run(&["import", "mail"]).ok();
    let groups = env.run(&["topics", "--json"]).json_lines();
    let group_of = |id: &str| {
        groups.iter().position(|g| {
            g["messages"]
                .as_array()
                .is_some_and(|m| m.iter().any(|x| x == &format!("{id}@x")))
        })
    };
    for (id, key, _) in &requests {
        let mine = group_of(id);
        assert!(mine.is_some(), "{id}: no topic found: {groups:?}");
        for (other, other_key, _) in &requests {
            let same = group_of(other) == mine;
            assert_eq!(
                same,
                key == other_key,
                "{id} ({key}) and {other} ({other_key}): {groups:#?}"
            );
        }
    }
}
