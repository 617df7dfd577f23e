//! The golden digest: the demo mailbox rendered to text and compared with the
//! reviewed file beside it (`fixtures/demo-digest.txt`). On a mismatch the
//! actual digest is written beside it as `demo-digest.actual.txt` and the test
//! fails with that path; `ALLEARS_BLESS=1` accepts the actual output.

use crate::support::{Env, owner_config, repo};

pub const DEMO_NOW: &str = "2026-11-26T07:30:00Z";

#[test]
fn golden_demo_digest() {
    let demo = repo().join("fixtures/demo");
    let env = Env::with_config(&owner_config(&format!(
        "[[source]]\npath = {:?}\n",
        demo.to_str().unwrap()
    )))
    .now(DEMO_NOW);
    let run = env.run(&["run"]);
    assert!(run.status.success(), "{}", run.stderr);
    let actual = std::fs::read_to_string(env.path().join("out/digest-2026-11-26.txt"))
        .expect("the run wrote the digest text");
    let eml = std::fs::read_to_string(env.path().join("out/digest-2026-11-26.eml")).unwrap();
    assert!(eml.contains("multipart/alternative"), "{eml}");
    let expected_path = repo().join("fixtures/demo-digest.txt");
    let actual_path = repo().join("fixtures/demo-digest.actual.txt");
    if std::env::var_os("ALLEARS_BLESS").is_some() {
        std::fs::write(&expected_path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
    if expected != actual {
        std::fs::write(&actual_path, &actual).unwrap();
        panic!(
            "the demo digest differs from {}; actual written to {} (diff them; ALLEARS_BLESS=1 accepts it)",
            expected_path.display(),
            actual_path.display()
        );
    }
    let _ = std::fs::remove_file(actual_path);
}

/// Every message of the demo mailbox is stored: 52 messages, one of them
/// (the owner's list post) arriving twice, through the list and in Sent.
#[test]
fn the_demo_mailbox_imports_whole() {
    let demo = repo().join("fixtures/demo");
    let env = Env::new();
    let r = env.run(&["import", demo.to_str().unwrap()]);
    assert!(r.status.success(), "{}", r.stderr);
    let msgs = env.run(&["messages", "--json"]).json_lines();
    let labels: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("fixtures/demo/labels.json")).unwrap(),
    )
    .unwrap();
    let labelled: std::collections::BTreeSet<String> = labels["messages"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.split('#').next().unwrap().to_string())
        .collect();
    let stored: std::collections::BTreeSet<String> = msgs
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stored, labelled);
}
