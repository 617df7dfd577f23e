//! Local mail: Maildir folders (cur/ and new/, Maildir++ subfolders), mbox
//! files (mboxo and mboxrd, pipermail archives included), single .eml files,
//! and folders holding any of these.
//!
//! Yields each message's raw bytes with where it was found; parsing comes
//! after (`message.rs`). mbox files are read line by line, so a large archive
//! costs one message of memory, not the whole file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::store::Location;

/// One thing to read: a file holding one message, or an mbox.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    Message {
        path: PathBuf,
        place: String,
        sent: bool,
    },
    Mbox {
        path: PathBuf,
        sent: bool,
    },
}

/// Folder names that hold the owner's sent mail.
fn is_sent_name(name: &str) -> bool {
    let n = name.trim_start_matches('.').to_ascii_lowercase();
    let n = n.rsplit(['.', '/']).next().unwrap_or(&n);
    matches!(n, "sent" | "sent items" | "sent messages" | "sent mail")
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

/// Walk a configured path into entries. Problems with single files are
/// reported through `problems` and do not stop the walk.
pub(crate) fn entries(path: &Path, sent: bool, problems: &mut Vec<String>) -> Result<Vec<Entry>> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    if meta.is_file() {
        let sent = sent
            || path
                .file_name()
                .is_some_and(|n| is_sent_name(&n.to_string_lossy()));
        out.push(
            file_entry(path, sent, true, problems).unwrap_or_else(|| Entry::Message {
                path: path.to_path_buf(),
                place: place_of(path),
                sent,
            }),
        );
    } else if let Some(maildir) = maildir_of_subfolder(path) {
        // `import Maildir/cur`: its files are messages, whatever their names.
        let sent = sent
            || maildir
                .file_name()
                .is_some_and(|n| is_sent_name(&n.to_string_lossy()));
        let place = place_of(maildir);
        for path in sorted_children(path, problems) {
            if path.is_file() && !hidden(&path) {
                out.push(Entry::Message {
                    path,
                    place: place.clone(),
                    sent,
                });
            }
        }
    } else {
        walk_dir(path, sent, &mut out, problems, 0);
    }
    Ok(out)
}

/// The Maildir a `cur` or `new` folder belongs to, when `dir` is one.
fn maildir_of_subfolder(dir: &Path) -> Option<&Path> {
    let name = dir.file_name()?.to_string_lossy();
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    (matches!(name.as_ref(), "cur" | "new") && is_maildir(parent)).then_some(parent)
}

fn place_of(path: &Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    format!("file:{}", abs.display())
}

fn walk_dir(
    dir: &Path,
    sent: bool,
    out: &mut Vec<Entry>,
    problems: &mut Vec<String>,
    depth: usize,
) {
    if depth > 16 {
        problems.push(format!(
            "{}: folders nested too deep, not read",
            dir.display()
        ));
        return;
    }
    let sent = sent
        || dir
            .file_name()
            .is_some_and(|n| is_sent_name(&n.to_string_lossy()));
    let maildir = is_maildir(dir);
    if maildir {
        let place = place_of(dir);
        for sub in ["cur", "new"] {
            for path in sorted_children(&dir.join(sub), problems) {
                if path.is_file() && !hidden(&path) {
                    out.push(Entry::Message {
                        path,
                        place: place.clone(),
                        sent,
                    });
                }
            }
        }
    }
    // Beside cur/ and new/ there may be Maildir++ subfolders (".Sent"), plain
    // subfolders (notmuch-style trees) and stray message files: read them all.
    for path in sorted_children(dir, problems) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if maildir && matches!(name.as_str(), "cur" | "new" | "tmp") {
            continue;
        }
        let maildirplus = maildir && name.len() > 1 && path.is_dir() && is_maildir(&path);
        if hidden(&path) && !maildirplus {
            continue;
        }
        if path.is_dir() {
            walk_dir(&path, sent, out, problems, depth + 1);
        } else if let Some(e) = file_entry(&path, sent, false, problems) {
            out.push(e);
        }
    }
}

fn hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn sorted_children(dir: &Path, problems: &mut Vec<String>) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            v
        }
        Err(e) => {
            if dir.exists() {
                problems.push(format!("{}: {e}", dir.display()));
            }
            Vec::new()
        }
    }
}

/// Decide what a file in a folder is: an mbox, a message, or not mail at all
/// (a README beside the mail is not a message). A file named explicitly is
/// always read.
fn file_entry(
    path: &Path,
    sent: bool,
    explicit: bool,
    problems: &mut Vec<String>,
) -> Option<Entry> {
    let mut head = [0u8; 512];
    let n = match File::open(path).and_then(|mut f| f.read(&mut head)) {
        Ok(n) => n,
        Err(e) => {
            problems.push(format!("{}: {e}", path.display()));
            return None;
        }
    };
    let head = &head[..n];
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    // An .eml file is one message, even when an envelope "From " line leads it.
    if head.starts_with(b"From ") && ext.as_deref() != Some("eml") {
        return Some(Entry::Mbox {
            path: path.to_path_buf(),
            sent,
        });
    }
    let looks_like_mail =
        ext.as_deref() == Some("eml") || (ext.is_none() && starts_with_header(head)) || explicit;
    looks_like_mail.then(|| Entry::Message {
        path: path.to_path_buf(),
        place: place_of(path),
        sent,
    })
}

/// The first line is an RFC 5322 header field: a name of printable
/// characters without spaces, then a colon.
fn starts_with_header(head: &[u8]) -> bool {
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = &head[..line_end];
    match line.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => line[..colon].iter().all(|&b| b.is_ascii_graphic()),
        _ => false,
    }
}

/// Read one message file.
pub(crate) fn read_message(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Split an mbox into messages, calling `f(raw, location)` for each.
///
/// A message starts at a "From " line at the start of the file or after a
/// blank line (the mboxo/mboxrd convention, as written by pipermail too).
/// mboxrd quoting (">From ", ">>From ") loses one '>'. The "From " line
/// itself is the envelope, not part of the message.
pub(crate) fn read_mbox(
    path: &Path,
    sent: bool,
    mut f: impl FnMut(Vec<u8>, Location) -> Result<()>,
) -> Result<usize> {
    let file = File::open(path).with_context(|| format!("opening mbox {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let place = place_of(path);
    let mut current: Option<Vec<u8>> = None;
    let mut prev_blank = true;
    let mut count = 0usize;
    let mut line = Vec::new();
    let mut emit = |msg: Vec<u8>, count: &mut usize| -> Result<()> {
        *count += 1;
        f(
            trim_final_newline(msg),
            Location {
                place: place.clone(),
                uid: *count as u32,
                sent,
            },
        )
    };
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("reading mbox {}", path.display()))?;
        if n == 0 {
            break;
        }
        if prev_blank && line.starts_with(b"From ") {
            if let Some(msg) = current.take() {
                emit(msg, &mut count)?;
            }
            current = Some(Vec::new());
            prev_blank = false;
            continue;
        }
        let body = current.get_or_insert_with(Vec::new);
        let quoted_from = {
            let gt = line.iter().take_while(|&&b| b == b'>').count();
            gt > 0 && line[gt..].starts_with(b"From ")
        };
        body.extend_from_slice(if quoted_from { &line[1..] } else { &line });
        prev_blank = line == b"\n" || line == b"\r\n";
    }
    if let Some(msg) = current.take()
        && !msg.iter().all(|b| b.is_ascii_whitespace())
    {
        emit(msg, &mut count)?;
    }
    Ok(count)
}

/// The blank line before the next "From " belongs to the mbox, not the message.
fn trim_final_newline(mut msg: Vec<u8>) -> Vec<u8> {
    if msg.ends_with(b"\r\n\r\n") {
        msg.truncate(msg.len() - 2);
    } else if msg.ends_with(b"\n\n") {
        msg.truncate(msg.len() - 1);
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mboxrd_is_split_and_unquoted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.mbox");
        std::fs::write(
            &p,
            "From a@b Mon Jan  1 00:00:00 2026\nSubject: one\n\n>From the start\nFrom here on\n\nFrom c@d Mon Jan  1 00:00:00 2026\nSubject: two\n\nbody\n",
        )
        .unwrap();
        let mut got = Vec::new();
        let n = read_mbox(&p, false, |raw, loc| {
            got.push((String::from_utf8(raw).unwrap(), loc.uid));
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(got[0].0, "Subject: one\n\nFrom the start\nFrom here on\n");
        assert_eq!(got[1], ("Subject: two\n\nbody\n".to_string(), 2));
    }

    #[test]
    fn a_readme_beside_mail_is_not_mail() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("README.md"), "# demo\n").unwrap();
        std::fs::write(dir.path().join("a.eml"), "Subject: x\n\ny\n").unwrap();
        std::fs::write(dir.path().join("noext"), "From: a@b\n\ny\n").unwrap();
        let mut problems = Vec::new();
        let e = entries(dir.path(), false, &mut problems).unwrap();
        assert_eq!(e.len(), 2, "{e:?}");
    }

    #[test]
    fn sent_folders_are_recognised() {
        assert!(is_sent_name("Sent"));
        assert!(is_sent_name(".Sent"));
        assert!(is_sent_name("INBOX.Sent Items"));
        assert!(!is_sent_name("Sentinel"));
    }
}
