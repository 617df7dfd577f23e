//! Issue 18, the offline half: mail written to attack whoever reads it or
//! whatever reads it, through the real binary. A terminal only gets text;
//! no file, folder or lock makes an import hang, loop or lose mail without
//! saying so; a store is never silently replaced; an mbox is split only at
//! real separators.

use crate::support::Env;

fn write(env: &Env, rel: &str, bytes: &[u8]) {
    let p = env.path().join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Characters a terminal would act on: every control but the line feed,
/// and the bidirectional and invisible format characters.
fn acted_on(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2028}' | '\u{2029}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn assert_inert(what: &str, out: &str) {
    let bad: Vec<String> = out
        .chars()
        .filter(|&c| acted_on(c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    assert!(bad.is_empty(), "{what} printed raw {bad:?}:\n{out}");
}

/// A reader's question whose name, subject and words carry terminal
/// escapes (CSI, OSC title and hyperlink, C1 CSI) and a bidi override.
const HOSTILE: &str = "Message-ID: <evil\u{202E}1@reader.example>\r\nFrom: =?UTF-8?Q?Eve=1B]0;owned=07_=C2=9B31m?= <eve@reader.example>\r\nTo: robin@ellis-on-it.example\r\nSubject: =?UTF-8?Q?Invoice_=E2=80=AEgpj.exe?= \u{202E}fdp\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n\r\nRobin, could you write about IPv6 at home \x1b[2J\x1b]8;;https://evil.example\x07here\x1b]8;;\x07?\r\nAnd which router do you use\u{202E} at home\u{9b}0m?\r\n";

/// Issue 18, finding 7: `messages`, `explain`, `threads`, `items`,
/// `topics` and the stdout of `digest` printed a mail's raw escape
/// sequences and bidi overrides.
#[test]
fn mail_text_reaches_the_terminal_as_visible_escapes_only() {
    let env = Env::new().now("2026-11-26T08:00:00Z");
    write(&env, "mail/cur/1:2,S", HOSTILE.as_bytes());
    env.run(&["import", "mail"]).ok();
    let id = "evil\u{202E}1@reader.example";
    for args in [
        vec!["messages"],
        vec!["explain", id],
        vec!["threads"],
        vec!["items"],
        vec!["topics"],
        vec!["digest"],
    ] {
        let out = env.run(&args).ok();
        assert_inert(&args.join(" "), &out);
        assert!(!out.trim().is_empty(), "{args:?} printed nothing");
    }
    let explained = env.run(&["explain", id]).ok();
    assert!(explained.contains("\\x1b"), "{explained}");
    assert!(explained.contains("<U+202E>"), "{explained}");
    for args in [
        vec!["messages", "--json"],
        vec!["threads", "--json"],
        vec!["items", "--json"],
        vec!["topics", "--json"],
    ] {
        let r = env.run(&args);
        assert_inert(&args.join(" "), &r.stdout);
        // Still JSON, and the text comes back whole from it.
        let lines = r.json_lines();
        assert!(!lines.is_empty(), "{args:?}");
    }
    let msgs = env.run(&["messages", "--json"]).json_lines();
    let m = msgs
        .iter()
        .find(|m| m["message_id"] == id)
        .expect("the message, its id intact through JSON");
    assert!(m["subject"].as_str().unwrap().contains('\u{202E}'), "{m}");
}

fn import_one(env: &Env) {
    write(
        env,
        "mail/a.eml",
        b"Message-ID: <a@reader.example>\nFrom: r@reader.example\nSubject: hi\n\nCould you help?\n",
    );
    env.run(&["import", "mail"]).ok();
}

/// Issue 18, finding 14: a store truncated to zero bytes was silently
/// replaced by a new, empty one (every item, topic, digest and the command
/// token gone, exit 0). Neither an empty file nor a file that is not an
/// allears store is ever replaced.
#[test]
fn a_store_that_is_empty_or_not_allears_is_never_replaced() {
    let env = Env::new();
    import_one(&env);
    let db = env.path().join("allears.db");
    assert!(std::fs::metadata(&db).unwrap().len() > 0);
    std::fs::write(&db, b"").unwrap();
    let r = env.run(&["messages"]);
    assert!(!r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("empty"), "{}", r.stderr);
    assert!(r.stderr.contains("allears.db"), "{}", r.stderr);
    assert_eq!(std::fs::metadata(&db).unwrap().len(), 0, "left as it was");

    std::fs::write(&db, b"my notes, not a database\n").unwrap();
    let r = env.run(&["import", "mail"]);
    assert!(!r.status.success());
    assert!(r.stderr.contains("not an allears store"), "{}", r.stderr);
    assert_eq!(std::fs::read(&db).unwrap(), b"my notes, not a database\n");

    std::fs::remove_file(&db).unwrap();
    {
        let other = rusqlite::Connection::open(&db).unwrap();
        other
            .execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let r = env.run(&["run"]);
    assert!(!r.status.success());
    assert!(r.stderr.contains("not an allears store"), "{}", r.stderr);
    let other = rusqlite::Connection::open(&db).unwrap();
    let tables: i64 = other
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1, "nothing was added to another program's database");
    drop(other);

    // Where no file is, a new store is made.
    std::fs::remove_file(&db).unwrap();
    import_one(&env);
    assert_eq!(env.run(&["messages", "--json"]).json_lines().len(), 1);
}

/// Issue 18, finding 14: `allears import Maildir/cur` stored 0 of 50
/// messages and exited 0 (Maildir file names have a dot, so they were not
/// taken for mail).
#[test]
fn importing_a_maildirs_cur_folder_reads_every_message_in_it() {
    let env = Env::new();
    for i in 0..50 {
        write(
            &env,
            &format!("Maildir/cur/17000000{i:02}.M{i}P1.host,S=90:2,S"),
            format!("Message-ID: <m{i}@reader.example>\nFrom: r@reader.example\nSubject: m{i}\n\nhello\n").as_bytes(),
        );
    }
    std::fs::create_dir_all(env.path().join("Maildir/new")).unwrap();
    let r = env.run(&["import", "Maildir/cur"]);
    assert!(r.status.success(), "{}", r.stderr);
    assert!(r.stderr.contains("imported 50 new"), "{}", r.stderr);
}
