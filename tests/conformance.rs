//! Conformance on real mail from other projects (../shared/corpora, through
//! ALLEARS_CORPORA): hostile and broken messages import with no panic and no
//! loss, and real list mail threads the way notmuch draws it.

use std::path::Path;

use crate::support::{Env, corpora};

/// Every file that is a message: `.eml` files, and extension-less files that
/// start with a header field (a COPYING file beside the mail is not mail).
fn message_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "eml")
                || (p.extension().is_none() && starts_with_header(&p))
            {
                out.push(p);
            }
        }
    }
    out
}

fn starts_with_header(p: &Path) -> bool {
    let bytes = std::fs::read(p).unwrap_or_default();
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    first
        .iter()
        .position(|&b| b == b':')
        .is_some_and(|c| c > 0 && first[..c].iter().all(|b| b.is_ascii_graphic()))
}

/// Import a corpus folder; every message read is stored or recognised as stored.
fn imports_without_loss(rel: &str) {
    let Some(root) = corpora(rel) else { return };
    let dir = root.join(rel);
    let files = message_files(&dir);
    assert!(!files.is_empty(), "no messages in {}", dir.display());
    let env = Env::new();
    let r = env.run(&["import", dir.to_str().unwrap()]);
    assert!(r.status.success(), "{rel}: import failed:\n{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{rel}: {}", r.stderr);
    let line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("imported "))
        .expect("summary line");
    let nums: Vec<usize> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let (new, known) = (nums[0], nums[1]);
    assert_eq!(new + known, files.len(), "{rel}: {line}");
    let stored = env.run(&["messages", "--json"]).json_lines().len();
    assert_eq!(stored, new, "{rel}: every new message is listed");
    eprintln!(
        "{rel}: {} files, {new} stored, {known} duplicates by Message-ID",
        files.len()
    );
}

#[test]
fn corpus_stalwart_malformed_imports_without_loss() {
    imports_without_loss("stalwart-mail-parser/resources/eml/malformed");
}

#[test]
fn corpus_flanker_imports_without_loss() {
    imports_without_loss("flanker/tests/fixtures/messages");
}

#[test]
fn corpus_notmuch_broken_imports_without_loss() {
    imports_without_loss("notmuch/test/corpora/broken");
}

#[test]
fn corpus_sisimai_crlf_imports_without_loss() {
    imports_without_loss("sisimai-set-of-emails/maildir/dos");
}

#[test]
fn corpus_sisimai_cr_only_imports_without_loss() {
    imports_without_loss("sisimai-set-of-emails/maildir/mac");
}

/// notmuch's own tests expect 24 threads for its `default` corpus.
#[test]
fn corpus_notmuch_default_gives_notmuchs_24_threads() {
    let Some(root) = corpora("notmuch default threads") else {
        return;
    };
    let env = Env::new();
    let dir = root.join("notmuch/test/corpora/default");
    env.run(&["import", dir.to_str().unwrap()]).ok();
    let threads = env.run(&["threads", "--json"]).json_lines();
    assert_eq!(threads.len(), 24, "threads: {threads:#?}");
    let total: usize = threads
        .iter()
        .map(|t| t["messages"].as_array().unwrap().len())
        .sum();
    assert_eq!(total, env.run(&["messages", "--json"]).json_lines().len());
}
