//! Local mail: Maildir folders (cur/ and new/, Maildir++ subfolders), mbox
//! files (mboxo and mboxrd, pipermail archives included), single .eml files,
//! and folders holding any of these.
//!
//! Yields each message's raw bytes with where it was found; parsing comes
//! after (`message.rs`). mbox files are read line by line, so a large archive
//! costs one message of memory, not the whole file.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::found::Found;
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

/// Walk a configured path into entries. Problems with single files or
/// folders are reported through `problems` and do not stop the walk; only
/// regular files are ever opened (a FIFO would block the import, a device
/// never end), and each folder is read once however many links lead to it.
pub(crate) fn entries(path: &Path, sent: bool, problems: &mut Vec<String>) -> Result<Vec<Entry>> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    let mut walk = Walk {
        out: Vec::new(),
        problems,
        seen: HashSet::new(),
        not_mail: Vec::new(),
    };
    if meta.is_file() {
        let sent = sent
            || path
                .file_name()
                .is_some_and(|n| is_sent_name(&n.to_string_lossy()));
        match file_entry(path, sent, true) {
            Ok(e) => walk.out.extend(e),
            Err(e) => walk.problems.push(format!("{e:#}")),
        }
    } else if !meta.is_dir() {
        anyhow::bail!(
            "{}: {}, not a regular file or a folder: not read",
            path.display(),
            kind_of(&meta)
        );
    } else if let Some(maildir) = maildir_of_subfolder(path) {
        // `import Maildir/cur`: its files are messages, whatever their names.
        let sent = sent
            || maildir
                .file_name()
                .is_some_and(|n| is_sent_name(&n.to_string_lossy()));
        walk.seen.insert(file_id(&meta));
        walk.messages_in(path, &place_of(maildir), sent);
    } else {
        walk.dir(path, sent, 0);
    }
    if let Some(first) = walk.not_mail.first() {
        walk.problems.push(format!(
            "{} file(s) that do not look like mail were not read (the first: {})",
            walk.not_mail.len(),
            first.display()
        ));
    }
    Ok(walk.out)
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

/// A file or folder, by device and inode.
fn file_id(meta: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// What a file that is neither a regular file nor a folder is, for people.
fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

/// One walk over a configured path.
struct Walk<'a> {
    out: Vec<Entry>,
    problems: &'a mut Vec<String>,
    /// Folders read so far, by device and inode: symlinks back up the
    /// tree (`a -> .`) lead to a folder already read, which is not read again.
    seen: HashSet<(u64, u64)>,
    /// Files passed over because they do not look like mail (said once, counted).
    not_mail: Vec<PathBuf>,
}

/// What a path in a folder is, links followed.
enum Kind {
    Dir,
    File,
    /// Cannot be looked at, or is not a regular file or folder: reported.
    Skip,
}

impl Walk<'_> {
    fn kind(&mut self, path: &Path) -> Kind {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Kind::Dir,
            Ok(m) if m.is_file() => Kind::File,
            Ok(m) => {
                self.problems.push(format!(
                    "{}: {}, not a regular file: skipped",
                    path.display(),
                    kind_of(&m)
                ));
                Kind::Skip
            }
            Err(e) => {
                self.problems
                    .push(format!("{}: cannot be read: {e}", path.display()));
                Kind::Skip
            }
        }
    }

    /// The regular files of a Maildir's cur/ or new/ are messages.
    fn messages_in(&mut self, sub: &Path, place: &str, sent: bool) {
        for path in sorted_children(sub, self.problems) {
            if hidden(&path) {
                continue;
            }
            match self.kind(&path) {
                Kind::File => self.out.push(Entry::Message {
                    path,
                    place: place.to_string(),
                    sent,
                }),
                Kind::Dir | Kind::Skip => {}
            }
        }
    }

    fn dir(&mut self, dir: &Path, sent: bool, depth: usize) {
        match std::fs::metadata(dir) {
            Ok(m) if !self.seen.insert(file_id(&m)) => {
                tracing::debug!("{}: read already (a link to it): skipped", dir.display());
                return;
            }
            Ok(_) => {}
            Err(e) => {
                self.problems
                    .push(format!("{}: cannot be read: {e}", dir.display()));
                return;
            }
        }
        if depth > 16 {
            self.problems.push(format!(
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
                let sub = dir.join(sub);
                if sub.exists() {
                    self.messages_in(&sub, &place, sent);
                }
            }
        }
        // Beside cur/ and new/ there may be Maildir++ subfolders (".Sent"), plain
        // subfolders (notmuch-style trees) and stray message files: read them all.
        for path in sorted_children(dir, self.problems) {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if maildir && matches!(name.as_str(), "cur" | "new" | "tmp") {
                continue;
            }
            if hidden(&path) && !(maildir && name.len() > 1) {
                continue;
            }
            match self.kind(&path) {
                Kind::Dir if hidden(&path) => {
                    // A Maildir++ subfolder (".Lists"); other hidden folders
                    // (".notmuch") are not mail. One that cannot be read may
                    // be either: say so, or its mail would silently be missing.
                    if let Err(e) = std::fs::read_dir(&path) {
                        self.problems.push(format!(
                            "{}: cannot be read: {e}; its mail (if any) is not imported",
                            path.display()
                        ));
                    } else if is_maildir(&path) {
                        self.dir(&path, sent, depth + 1);
                    }
                }
                Kind::Dir => self.dir(&path, sent, depth + 1),
                Kind::File if hidden(&path) => {}
                Kind::File => match file_entry(&path, sent, false) {
                    Ok(Some(e)) => self.out.push(e),
                    Ok(None) => self.not_mail.push(path),
                    Err(e) => self.problems.push(format!("{e:#}")),
                },
                Kind::Skip => {}
            }
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
            problems.push(format!("{}: cannot be read: {e}", dir.display()));
            Vec::new()
        }
    }
}

/// Open a file for reading only if it is a regular file. O_NONBLOCK keeps
/// the open itself from waiting on a FIFO's writer; it changes nothing for
/// a regular file. The type is checked on the open file, so a file swapped
/// for a FIFO after the walk is refused too.
pub(crate) fn open_regular(path: &Path) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let meta = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?;
    if !meta.is_file() {
        anyhow::bail!(
            "{}: {}, not a regular file: skipped",
            path.display(),
            kind_of(&meta)
        );
    }
    Ok(file)
}

/// Decide what a file in a folder is: an mbox, a message, or not mail at all
/// (a README beside the mail is not a message). A file named explicitly is
/// always read. An error says it could not be read at all.
fn file_entry(path: &Path, sent: bool, explicit: bool) -> Result<Option<Entry>> {
    let mut head = [0u8; 512];
    let n = open_regular(path)?
        .read(&mut head)
        .with_context(|| format!("reading {}", path.display()))?;
    let head = &head[..n];
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    // An .eml file is one message, even when an envelope "From " line leads it.
    if head.starts_with(b"From ") && ext.as_deref() != Some("eml") {
        return Ok(Some(Entry::Mbox {
            path: path.to_path_buf(),
            sent,
        }));
    }
    let looks_like_mail =
        ext.as_deref() == Some("eml") || (ext.is_none() && starts_with_header(head)) || explicit;
    Ok(looks_like_mail.then(|| Entry::Message {
        path: path.to_path_buf(),
        place: place_of(path),
        sent,
    }))
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

/// Read one message file (a regular file only); one larger than `max`
/// bytes is read as far as its header ends, and handed over with its size.
pub(crate) fn read_message(path: &Path, max: u64) -> Result<Found> {
    let file = open_regular(path)?;
    let size = file
        .metadata()
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    let reading = || format!("reading {}", path.display());
    if size <= max {
        let mut raw = Vec::new();
        // Bounded even if the file grows after it was measured.
        file.take(max).read_to_end(&mut raw).with_context(reading)?;
        return Ok(Found::Whole(raw));
    }
    // Its header: the lines up to the first blank one, at most 1 MB of them.
    let mut header = Vec::new();
    let mut lines = BufReader::new(file).take(1 << 20);
    loop {
        let start = header.len();
        if lines.read_until(b'\n', &mut header).with_context(reading)? == 0 {
            break;
        }
        if matches!(&header[start..], b"\n" | b"\r\n") {
            break;
        }
    }
    Ok(Found::TooLarge { header, size })
}

/// Split an mbox into messages (`mbox.rs`), calling `f(raw, location)` for each.
pub(crate) fn read_mbox(
    path: &Path,
    sent: bool,
    max: u64,
    mut f: impl FnMut(Found, Location) -> Result<()>,
) -> Result<usize> {
    let file = open_regular(path)?;
    let reader = BufReader::with_capacity(1 << 16, file);
    let place = place_of(path);
    let mut count = 0u32;
    super::mbox::split(reader, max, |raw| {
        count += 1;
        f(
            raw,
            Location {
                place: place.clone(),
                uid: count,
                sent,
            },
        )
    })
    .with_context(|| format!("reading mbox {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
