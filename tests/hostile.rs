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
