//! The offline pipeline through the real binary: import, classify, digest.

use crate::support::{Env, owner_config};

fn write(env: &Env, rel: &str, text: &str) {
    let p = env.path().join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn importing_twice_changes_nothing() {
    let env = Env::new();
    write(
        &env,
        "mail/cur/1",
        "Message-ID: <a@x>\nFrom: r@x.example\nSubject: hi\n\nCould you help?\n",
    );
    write(
        &env,
        "mail/new/2",
        "From: s@x.example\nSubject: no id\n\nhello\n",
    );
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
    write(
        &env,
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
