//! Local mail: Maildir folders (cur/ and new/, Maildir++ subfolders), mbox
//! files (mboxo and mboxrd, pipermail archives included), single messages
//! (.eml, or any file that begins like one, Maildir-named or not), and
//! folders holding any of these; each may be gzip, bzip2 or xz compressed
//! (as pipermail archives download), and is read through the decompressor.
//!
//! Every file is accounted for: it becomes an entry, or is skipped with the
//! reason (`Skipped`: an image, text that is not mail, an empty file), and
//! the import summary lists the skipped ones. What a file is, is judged by
//! its first bytes, not its name.
//!
//! Yields each message's raw bytes with where it was found; parsing comes
//! after (`message.rs`). mbox files are read line by line, so a large archive
//! costs one message of memory, not the whole file.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use anyhow::{Context, Result};

use super::found::Found;
use crate::store::Location;

/// One thing to read: a file holding one message, or an mbox.
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    Message {
        path: Box<Path>,
        /// Shared by a Maildir's files: a list archive's Maildir holds
        /// hundreds of thousands.
        place: Arc<str>,
        sent: bool,
        packed: Option<Packing>,
    },
    Mbox {
        path: PathBuf,
        sent: bool,
        packed: Option<Packing>,
    },
}

/// A file that was not read, and why.
#[derive(Debug, Clone)]
pub(crate) struct Skipped {
    pub path: PathBuf,
    pub why: String,
}

/// How a file is compressed, known by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Packing {
    Gzip,
    Bzip2,
    Xz,
}

impl Packing {
    /// RFC 1952's magic number; bzip2's "BZh" and a block size digit; the xz
    /// format's six-byte header magic.
    fn of(head: &[u8]) -> Option<Packing> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Packing::Gzip)
        } else if head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]) {
            Some(Packing::Bzip2)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Packing::Xz)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Packing::Gzip => "gzip",
            Packing::Bzip2 => "bzip2",
            Packing::Xz => "xz",
        }
    }

    /// The file's contents, decompressed as they are read. Concatenated
    /// members or streams (as `cat a.gz b.gz` makes) are all read.
    fn reader(self, file: File) -> Box<dyn Read + Send> {
        let buffered = BufReader::with_capacity(1 << 16, file);
        match self {
            Packing::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
            Packing::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(buffered)),
            Packing::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(buffered)),
        }
    }
}

/// A file's bytes as mail: decompressed when it is packed.
pub(crate) fn open_mail(path: &Path, packed: Option<Packing>) -> Result<Box<dyn Read + Send>> {
    let file = open_regular(path)?;
    Ok(match packed {
        Some(p) => p.reader(file),
        None => Box::new(file),
    })
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
pub(crate) fn entries(
    path: &Path,
    sent: bool,
    problems: &mut Vec<String>,
    skipped: &mut Vec<Skipped>,
) -> Result<Vec<Entry>> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    let mut walk = Walk {
        out: Vec::new(),
        problems,
        seen: HashSet::new(),
        skipped,
    };
    if meta.is_file() {
        let sent = sent
            || path
                .file_name()
                .is_some_and(|n| is_sent_name(&n.to_string_lossy()));
        walk.file(path, sent, None);
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
        walk.messages_in(path, &place_of(maildir).into(), sent);
    } else {
        walk.dir(path, sent, 0);
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

/// Is this place ("file:PATH") a list archive's volume, as Mailman's
/// pipermail names them: "2008-March.txt" (monthly), "2008q1.txt"
/// (quarterly) or "Week-of-Mon-20080303.txt" (weekly), also gzipped, with
/// anything before it that ends in '-', '_' or '.' ("r-devel-2008-March.txt").
/// Yearly ("2008.txt") and daily ("20080303.txt") volumes are not taken:
/// those names say too little to tell an archive from any other file.
pub(crate) fn is_archive_volume(place: &str) -> bool {
    static VOLUME: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(concat!(
            r"(?:^|[-_.])(?:\d{4}-(?:January|February|March|April|May|June|July|August",
            r"|September|October|November|December)|\d{4}q[1-4]|Week-of-Mon-\d{8})\.txt(?:\.gz)?$"
        ))
        .expect("the volume pattern compiles")
    });
    let Some(path) = place.strip_prefix("file:") else {
        return false;
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    VOLUME.is_match(name)
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
    /// Files passed over, each with its reason.
    skipped: &'a mut Vec<Skipped>,
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

    fn skip(&mut self, path: &Path, why: impl Into<String>) {
        self.skipped.push(Skipped {
            path: path.to_path_buf(),
            why: why.into(),
        });
    }

    /// Judge one file by its first bytes: an entry, or skipped with the
    /// reason. `maildir` is the place of the Maildir whose cur/ or new/ it
    /// is in: there any file is a message unless it is plainly something
    /// else (empty, an image); elsewhere it must begin like mail.
    fn file(&mut self, path: &Path, sent: bool, maildir: Option<&Arc<str>>) {
        match sniff(path, maildir.is_some()) {
            Err(e) => self.problems.push(format!("{e:#}")),
            Ok(Sniffed::NotMail(why)) => self.skip(path, why),
            Ok(Sniffed::Mbox(packed)) if maildir.is_none() => self.out.push(Entry::Mbox {
                path: path.to_path_buf(),
                sent,
                packed,
            }),
            Ok(Sniffed::Mbox(packed) | Sniffed::Message(packed)) => self.out.push(Entry::Message {
                path: path.into(),
                place: maildir.map_or_else(|| place_of(path).into(), Arc::clone),
                sent,
                packed,
            }),
        }
    }

    /// The regular files of a Maildir's cur/ or new/ are messages.
    fn messages_in(&mut self, sub: &Path, place: &Arc<str>, sent: bool) {
        for path in sorted_children(sub, self.problems) {
            if hidden(&path) {
                self.skip(&path, "a hidden file");
                continue;
            }
            match self.kind(&path) {
                Kind::File => self.file(&path, sent, Some(place)),
                Kind::Dir => self.skip(&path, "a folder inside a Maildir's cur/ or new/: not read"),
                Kind::Skip => {}
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
            let place: Arc<str> = place_of(dir).into();
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
            // tmp/ holds messages still being delivered (Maildir's own rule).
            if maildir && matches!(name.as_str(), "cur" | "new" | "tmp") {
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
                    } else if maildir && is_maildir(&path) {
                        self.dir(&path, sent, depth + 1);
                    } else {
                        self.skip(
                            &path,
                            "a hidden folder that is not a Maildir++ folder: not read",
                        );
                    }
                }
                Kind::Dir => self.dir(&path, sent, depth + 1),
                Kind::File if hidden(&path) => self.skip(&path, "a hidden file"),
                Kind::File => self.file(&path, sent, None),
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

/// What a file is, by its first bytes (decompressed when it is packed).
enum Sniffed {
    Mbox(Option<Packing>),
    Message(Option<Packing>),
    /// Not mail, and why.
    NotMail(String),
}

/// Decide what a file is: an mbox (it begins with a "From " line; an .eml
/// file is one message even then), a message (it begins with a header
/// field), or not mail, with the reason. `lenient` (a Maildir's cur/ or
/// new/), like an .eml name, takes any file that is not plainly something
/// else (empty, an image, an archive) as a message.
/// An error says it could not be read at all.
fn sniff(path: &Path, lenient: bool) -> Result<Sniffed> {
    let mut file = open_regular(path)?;
    let mut raw = [0u8; 512];
    let n =
        read_head(&mut file, &mut raw).with_context(|| format!("reading {}", path.display()))?;
    let packed = Packing::of(&raw[..n]);
    let mut unpacked = [0u8; 512];
    let head = match packed {
        None => &raw[..n],
        Some(p) => {
            let mut reader = open_mail(path, Some(p))?;
            match read_head(&mut reader, &mut unpacked) {
                Ok(m) => &unpacked[..m],
                Err(e) => {
                    return Ok(Sniffed::NotMail(format!(
                        "{}-compressed, but it cannot be decompressed: {e}",
                        p.name()
                    )));
                }
            }
        }
    };
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    if head.starts_with(b"From ") && ext.as_deref() != Some("eml") {
        return Ok(Sniffed::Mbox(packed));
    }
    if starts_with_header(head) {
        return Ok(Sniffed::Message(packed));
    }
    let why = not_mail(head);
    let plainly_else = head.is_empty() || why.starts_with("a ") || why.starts_with("an ");
    // An .eml file says by its name that it is one message, however broken.
    let lenient = lenient || ext.as_deref() == Some("eml");
    if lenient && !plainly_else {
        return Ok(Sniffed::Message(packed));
    }
    Ok(Sniffed::NotMail(match packed {
        Some(p) => format!("{}-compressed, and inside: {why}", p.name()),
        None => why,
    }))
}

/// Up to `buf.len()` bytes from the start, however the reader splits them.
fn read_head(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(m) => n += m,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Why bytes that do not begin like mail are not mail, for the summary:
/// what kind of file they are when its magic number says (an image, an
/// archive), else what the text begins with.
fn not_mail(head: &[u8]) -> String {
    if head.is_empty() {
        return "an empty file".to_string();
    }
    const KNOWN: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"%PDF-", "a PDF document"),
        (
            b"PK\x03\x04",
            "a ZIP archive (or an office document): unpack it first",
        ),
        (b"SQLite format 3\0", "an SQLite database"),
        (b"\x7fELF", "a program (ELF)"),
        (
            b"\x28\xb5\x2f\xfd",
            "a zstd-compressed file: decompress it first (unzstd)",
        ),
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive: unpack it first"),
    ];
    if let Some((_, what)) = KNOWN.iter().find(|(magic, _)| head.starts_with(magic)) {
        return what.to_string();
    }
    if head.len() > 262 && &head[257..262] == b"ustar" {
        return "a tar archive: unpack it first".to_string();
    }
    if head.contains(&0) {
        return "binary data, not mail".to_string();
    }
    let text = String::from_utf8_lossy(head);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    format!(
        "text that does not begin like mail (a header field, or an mbox \"From \" line): it begins “{}”",
        crate::text::clip(first, 40)
    )
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

/// Read one message file (a regular file only, decompressed when it is
/// packed); one larger than `max` bytes is read as far as its header ends,
/// and handed over with its size.
pub(crate) fn read_message(path: &Path, packed: Option<Packing>, max: u64) -> Result<Found> {
    let reading = || format!("reading {}", path.display());
    let file = open_regular(path)?;
    let size = file.metadata().with_context(reading)?.len();
    if packed.is_none() && size <= max {
        let mut raw = Vec::new();
        // Bounded even if the file grows after it was measured.
        file.take(max).read_to_end(&mut raw).with_context(reading)?;
        return Ok(Found::Whole(raw));
    }
    let mut reader: Box<dyn Read> = match packed {
        Some(p) => p.reader(file),
        None => Box::new(file),
    };
    let mut raw = Vec::new();
    // A compressed file's size is known only once it is read: at most `max` bytes are kept.
    (&mut reader)
        .take(max.saturating_add(1))
        .read_to_end(&mut raw)
        .with_context(reading)?;
    if raw.len() as u64 <= max {
        return Ok(Found::Whole(raw));
    }
    // Its header: the lines up to the first blank one, at most 1 MB of them.
    let mut header = Vec::new();
    let mut lines = BufReader::new(&raw[..]).take(1 << 20);
    loop {
        let start = header.len();
        if lines.read_until(b'\n', &mut header).with_context(reading)? == 0 {
            break;
        }
        if matches!(&header[start..], b"\n" | b"\r\n") {
            break;
        }
    }
    let rest = std::io::copy(&mut reader, &mut std::io::sink()).with_context(reading)?;
    Ok(Found::TooLarge {
        header,
        size: raw.len() as u64 + rest,
    })
}

/// Split an mbox into messages (`mbox.rs`), calling `f(raw, location)` for each.
pub(crate) fn read_mbox(
    path: &Path,
    (sent, packed): (bool, Option<Packing>),
    max: u64,
    mut f: impl FnMut(Found, Location) -> Result<()>,
) -> Result<usize> {
    let reader = BufReader::with_capacity(1 << 16, open_mail(path, packed)?);
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
    fn a_pipermail_volume_is_known_by_its_name() {
        for name in [
            "2008-March.txt",
            "2008-March.txt.gz",
            "2011q4.txt",
            "Week-of-Mon-20080303.txt.gz",
            "r-devel-2008-March.txt",
            "093-list-2026-June.txt",
        ] {
            assert!(
                is_archive_volume(&format!("file:/a/r-devel/{name}")),
                "{name}"
            );
        }
        for name in [
            "2008-March.mbox",
            "2008-Marchx.txt",
            "notes2008-March.txt",
            "2008-Mars.txt",
            "2008.txt",
            "20080303.txt",
            "2008-March.txt/cur/1",
        ] {
            assert!(!is_archive_volume(&format!("file:/a/{name}")), "{name}");
        }
        assert!(!is_archive_volume("imap:me/2008-March.txt"));
    }

    #[test]
    fn a_readme_beside_mail_is_not_mail() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("README.md"), "# demo\n").unwrap();
        std::fs::write(dir.path().join("a.eml"), "Subject: x\n\ny\n").unwrap();
        std::fs::write(dir.path().join("noext"), "From: a@b\n\ny\n").unwrap();
        let (mut problems, mut skipped) = (Vec::new(), Vec::new());
        let e = entries(dir.path(), false, &mut problems, &mut skipped).unwrap();
        assert_eq!(e.len(), 2, "{e:?}");
        assert_eq!(skipped.len(), 1, "{skipped:?}");
        assert!(skipped[0].why.contains("it begins “# demo”"), "{skipped:?}");
    }

    #[test]
    fn what_a_file_is_is_told_by_its_first_bytes() {
        assert_eq!(not_mail(b""), "an empty file");
        assert_eq!(not_mail(b"\x89PNG\r\n\x1a\n\0\0"), "a PNG image");
        assert!(not_mail(b"hello\n").contains("it begins “hello”"));
        assert_eq!(Packing::of(&[0x1f, 0x8b, 8, 0]), Some(Packing::Gzip));
        assert_eq!(Packing::of(b"BZh91AY&SY"), Some(Packing::Bzip2));
        assert_eq!(
            Packing::of(&[0xfd, b'7', b'z', b'X', b'Z', 0, 0]),
            Some(Packing::Xz)
        );
        assert_eq!(Packing::of(b"From a@b Mon Jan  1 00:00:00 2026\n"), None);
    }

    #[test]
    fn compressed_mail_is_read_through_its_decompressor() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let mbox = b"From a@b Mon Jan  1 00:00:00 2026\nMessage-ID: <1@x>\n\nhi\n\nFrom a@b Mon Jan  1 00:00:01 2026\nMessage-ID: <2@x>\n\nho\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(mbox).unwrap();
        std::fs::write(dir.path().join("a.txt.gz"), gz.finish().unwrap()).unwrap();
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        bz.write_all(mbox).unwrap();
        std::fs::write(dir.path().join("b.mbox.bz2"), bz.finish().unwrap()).unwrap();
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(b"Message-ID: <3@x>\nSubject: one\n\nbody\n")
            .unwrap();
        std::fs::write(dir.path().join("c.eml.xz"), xz.finish().unwrap()).unwrap();
        let (mut problems, mut skipped) = (Vec::new(), Vec::new());
        let e = entries(dir.path(), false, &mut problems, &mut skipped).unwrap();
        assert!(
            problems.is_empty() && skipped.is_empty(),
            "{problems:?} {skipped:?}"
        );
        let mut found = 0;
        for entry in &e {
            match entry {
                Entry::Mbox { path, packed, .. } => {
                    assert!(packed.is_some());
                    found += read_mbox(path, (false, *packed), 1 << 20, |_, _| Ok(())).unwrap();
                }
                Entry::Message { path, packed, .. } => {
                    let Found::Whole(raw) = read_message(path, *packed, 1 << 20).unwrap() else {
                        panic!("too large?")
                    };
                    assert!(raw.starts_with(b"Message-ID: <3@x>"));
                    found += 1;
                }
            }
        }
        assert_eq!(found, 5, "two mbox files of two and one message: {e:?}");
    }

    #[test]
    fn sent_folders_are_recognised() {
        assert!(is_sent_name("Sent"));
        assert!(is_sent_name(".Sent"));
        assert!(is_sent_name("INBOX.Sent Items"));
        assert!(!is_sent_name("Sentinel"));
    }
}
