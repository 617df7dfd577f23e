//! The offline pipeline through the real binary: import, classify, digest.

use crate::support::{Env, owner_config};

#[test]
fn importing_twice_changes_nothing() {
    let env = Env::new();
    env.write(
        "mail/cur/1",
        "Message-ID: <a@x>\nFrom: r@x.example\nSubject: hi\n\nCould you help?\n",
    );
    env.write("mail/new/2", "From: s@x.example\nSubject: no id\n\nhello\n");
    let first = env.run(&["import", "mail"]);
    assert!(first.stderr.contains("imported 2 new"), "{}", first.stderr);
    let before = env.run(&["messages", "--json"]).ok();
    let second = env.run(&["import", "mail"]);
    assert!(
        second
            .stderr
            .contains("imported 0 new message(s), 2 already known"),
        "{}",
        second.stderr
    );
    assert_eq!(before, env.run(&["messages", "--json"]).ok());
}

/// Byte-identical copies in one run are stored once with every place, both
/// when the first copy is new and when it is known by its Message-ID with
/// other bytes (CRLF instead of LF here); messages without an id too.
#[test]
fn copies_in_one_run_are_stored_once_with_all_their_places() {
    let env = Env::new();
    let a = "Message-ID: <a@x>\nFrom: r@x.example\nSubject: hi\n\nCould you help?\n";
    let b = "Message-ID: <b@x>\nFrom: s@x.example\nSubject: again\n\nCould you write about it?\n";
    let no_id = "From: t@x.example\nSubject: no id\n\nhello\n";
    env.write("first/b.eml", b.replace('\n', "\r\n"));
    env.run(&["import", "first"]).ok();
    for (name, raw) in [
        ("a1", a),
        ("a2", a),
        ("b1", b),
        ("b2", b),
        ("n1", no_id),
        ("n2", no_id),
    ] {
        env.write(&format!("mail/{name}.eml"), raw);
    }
    let r = env.run(&["import", "mail"]);
    assert!(
        r.stderr
            .contains("imported 2 new message(s), 4 already known"),
        "{}",
        r.stderr
    );
    let msgs = env.run(&["messages", "--json"]).json_lines();
    assert_eq!(msgs.len(), 3, "{msgs:?}");
    for m in &msgs {
        let places = m["places"].as_array().unwrap().len();
        let want = if m["message_id"] == "b@x" { 3 } else { 2 };
        assert_eq!(places, want, "{m}");
    }
}

#[test]
fn a_wrong_config_names_the_key_and_the_file() {
    let env = Env::with_config(&owner_config("[digest]\noutptu = \"x\"\n"));
    let r = env.run(&["messages"]);
    assert!(!r.status.success());
    assert!(r.stderr.contains("outptu"), "{}", r.stderr);
    assert!(r.stderr.contains("digest.toml"), "{}", r.stderr);
}

#[test]
fn an_unreadable_path_is_reported_and_the_rest_goes_through() {
    let env = Env::new();
    env.write(
        "mail/a.eml",
        "Message-ID: <b@x>\nFrom: r@x.example\nSubject: hi\n\nhello\n",
    );
    let r = env.run(&["import", "mail", "missing-folder"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("missing-folder"), "{}", r.stderr);
    assert!(r.stderr.contains("imported 1 new"), "{}", r.stderr);
    let nothing = env.run(&["import", "missing-folder"]);
    assert!(
        !nothing.status.success(),
        "a run that could do nothing exits non-zero"
    );
}

/// A 5,000-deep reply chain (hostile or just long) prints without blowing the stack.
#[test]
fn a_very_deep_reply_chain_prints_as_json() {
    let env = Env::new();
    let mut mbox = String::new();
    for i in 0..5000 {
        mbox.push_str("From x Mon Jan  1 00:00:00 2026\n");
        mbox.push_str(&format!(
            "Message-ID: <m{i}@x>\nFrom: a@x.example\nSubject: Re: chain\n"
        ));
        if i > 0 {
            mbox.push_str(&format!("In-Reply-To: <m{}@x>\n", i - 1));
        }
        mbox.push_str("\nhi\n\n");
    }
    env.write("chain.mbox", &mbox);
    env.run(&["import", "chain.mbox"]).ok();
    let threads = env.run(&["threads", "--json"]).json_lines();
    assert_eq!(threads.len(), 1);
    assert_eq!(threads[0]["messages"].as_array().unwrap().len(), 5000);
}

/// The reply commands work from the command line too, by item and topic id.
#[test]
fn commands_from_the_command_line() {
    let env = Env::new().now("2026-11-26T08:00:00Z");
    env.write("mail/cur/1",
        "Message-ID: <a@x>\nFrom: Ann <ann@reader.example>\nDate: Tue, 24 Nov 2026 10:00:00 +0000\nSubject: a question\n\nRobin, could you explain how you back up your server?\n",
    );
    env.write("mail/cur/2",
        "Message-ID: <b@x>\nFrom: Ben <ben@reader.example>\nDate: Tue, 24 Nov 2026 11:00:00 +0000\nSubject: another\n\nRobin, which router would you buy today?\n",
    );
    env.run(&["import", "mail"]).ok();
    let items = env.run(&["items", "--json"]).json_lines();
    let id_of = |mid: &str| {
        items
            .iter()
            .find(|i| i["message_ids"][0] == mid)
            .expect("an item")["id"]
            .as_str()
            .unwrap()
            .trim_start_matches('#')
            .to_string()
    };
    let (a, b) = (id_of("a@x"), id_of("b@x"));
    assert!(env.run(&["done", &a]).ok().contains("marked done"));
    env.run(&["snooze", &b, "3d"]).ok();
    let left = env.run(&["items", "--json"]).json_lines();
    assert!(left.iter().all(|i| i["kind"] != "needs_reply"), "{left:?}");
    let later = Env {
        now: Some("2026-11-30T08:00:00Z".into()),
        ..env
    };
    let back = later.run(&["items", "--json"]).json_lines();
    assert!(
        back.iter().any(|i| i["message_ids"][0] == "b@x"),
        "the snoozed item is back: {back:?}"
    );
    assert!(!back.iter().any(|i| i["message_ids"][0] == "a@x"));
    let bad = later.run(&["done", "999"]);
    assert!(!bad.status.success());
    assert!(
        bad.stdout.contains("there is no item #999"),
        "{}",
        bad.stdout
    );
    let no_smtp = later.run(&["reply", &b, "--file", "missing.txt"]);
    assert!(!no_smtp.status.success());
}
