//! mbox files: where one message ends and the next begins. `local.rs` finds
//! the files; this reads one, line by line, and hands each message's bytes
//! (without its envelope line) to the caller.
//!
//! A "From " line separates messages only when it could be an envelope:
//! at the start of the file, or after a blank line, written as one ("From",
//! a sender, then a date, as asctime or RFC 5322 writes it) and followed by
//! a header line. Pipermail does not escape body lines that start with
//! "From " (RFC 4155 section 2 lets mboxo writers skip it too), so "From
//! what I can tell, ..." after a blank line is a body line, not a message.
//! A message whose header has `Content-Length` (mboxcl2, RFC 4155's
//! "Content-Length" variant) is as long as it says when the file agrees
//! (the body ends there, at the end of the file or before a "From " line);
//! its body is then never split. mboxrd quoting (">From ", ">>From ")
//! loses one '>'.

use std::io::BufRead;
use std::sync::LazyLock;

use anyhow::Result;
use regex::bytes::Regex;

use super::found::Found;

/// One line as read: its bytes (at most the reader's cap) and its length.
struct Line {
    bytes: Vec<u8>,
    len: u64,
}

/// Lines read ahead and given back, for the look-ahead a separator and a
/// `Content-Length` body need. No line is held longer than `cap` bytes: a
/// 5 GB line costs `cap` of memory, and its message is over the limit.
struct Lines<R> {
    inner: R,
    back: Vec<Line>,
    cap: usize,
}

impl<R: BufRead> Lines<R> {
    fn next(&mut self) -> std::io::Result<Option<Line>> {
        if let Some(l) = self.back.pop() {
            return Ok(Some(l));
        }
        let (mut bytes, mut len) = (Vec::new(), 0u64);
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let (n, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let room = self.cap.saturating_sub(bytes.len()).min(n);
            bytes.extend_from_slice(&buf[..room]);
            len += n as u64;
            self.inner.consume(n);
            if done {
                break;
            }
        }
        Ok((len > 0).then_some(Line { bytes, len }))
    }

    fn unread(&mut self, line: Line) {
        self.back.push(line);
    }

    /// The next line, left to be read again.
    fn peek(&mut self) -> std::io::Result<Option<&[u8]>> {
        if self.back.is_empty()
            && let Some(l) = self.next()?
        {
            self.back.push(l);
        }
        Ok(self.back.last().map(|l| l.bytes.as_slice()))
    }
}

/// "From sender date": the sender (pipermail writes "user at host"), then
/// an asctime date ("Mon Jan  1 00:00:00 2026", with a zone before or after
/// the year as some writers add) or an RFC 5322 one ("Mon, 1 Jan 2026 00:00:00").
static ENVELOPE: LazyLock<Regex> = LazyLock::new(|| {
    let day = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
    let month = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
    let time = r"\d{1,2}:\d{2}(?::\d{2})?";
    let zone = r"(?:[+-]\d{4}|[A-Z]{1,5})";
    let asctime = format!(r"{day},? +{month} +\d{{1,2}} +{time} +(?:{zone} +)?\d{{4}}");
    let rfc5322 = format!(r"(?:{day}, *)?\d{{1,2}} +{month} +\d{{4}} +{time}");
    Regex::new(&format!(
        r"^From +\S.*? +(?:{asctime}|{rfc5322})(?: +{zone})?(?: .*)?\r?\n?$"
    ))
    .expect("the envelope pattern compiles")
});

pub(crate) fn is_envelope(line: &[u8]) -> bool {
    ENVELOPE.is_match(line)
}

/// An RFC 5322 header field line: a name of printable characters without
/// spaces, then a colon.
fn is_header(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => line[..colon].iter().all(|&b| b.is_ascii_graphic()),
        _ => false,
    }
}

fn is_blank(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// `Content-Length: N` in a header line.
fn content_length(line: &[u8]) -> Option<u64> {
    let (name, value) = line.split_at(line.iter().position(|&b| b == b':')?);
    if !name.eq_ignore_ascii_case(b"Content-Length") {
        return None;
    }
    std::str::from_utf8(&value[1..]).ok()?.trim().parse().ok()
}

/// At most this much of an over-large message's header is kept.
const MAX_HEADER: usize = 1 << 20;

/// The message being read: its bytes so far (only its header once it is
/// over the limit), its size, and where its header ends.
struct Msg {
    bytes: Vec<u8>,
    size: u64,
    header_end: Option<usize>,
    too_large: bool,
}

impl Msg {
    fn new() -> Msg {
        Msg {
            bytes: Vec::new(),
            size: 0,
            header_end: None,
            too_large: false,
        }
    }

    /// Add a line (`keep` its bytes as the message has them), within `max`.
    fn push(&mut self, line: &Line, keep: &[u8], max: u64) {
        self.size += line.len;
        if !self.too_large && (self.size > max || line.len > line.bytes.len() as u64) {
            self.too_large = true;
            let header = self.header_end.unwrap_or(self.bytes.len()).min(MAX_HEADER);
            self.bytes.truncate(header);
            self.bytes.shrink_to_fit();
        }
        if !self.too_large || (self.header_end.is_none() && self.bytes.len() < MAX_HEADER) {
            let room = if self.too_large {
                MAX_HEADER - self.bytes.len()
            } else {
                keep.len()
            };
            self.bytes.extend_from_slice(&keep[..keep.len().min(room)]);
        }
    }

    fn found(self) -> Found {
        if self.too_large {
            Found::TooLarge {
                header: self.bytes,
                size: self.size,
            }
        } else {
            Found::Whole(trim_final_newline(self.bytes))
        }
    }
}

/// Split an mbox read from `reader` into messages, calling `emit` with
/// each (its envelope line not included). A message over `max` bytes is
/// handed over as its header and its size: it is never held whole.
/// Returns how many messages there were.
pub(crate) fn split(
    reader: impl BufRead,
    max: u64,
    mut emit: impl FnMut(Found) -> Result<()>,
) -> Result<usize> {
    let mut lines = Lines {
        inner: reader,
        back: Vec::new(),
        cap: usize::try_from(max.saturating_add(1)).unwrap_or(usize::MAX),
    };
    let mut current: Option<Msg> = None;
    let mut count = 0usize;
    let mut prev_blank = true;
    // Its Content-Length, while the message's header is being read.
    let mut length: Option<u64> = None;
    // The format's own rule (Content-Length) says the next "From " line begins a message.
    let mut next_is_message = false;
    while let Some(line) = lines.next()? {
        let l = line.bytes.as_slice();
        if l.starts_with(b"From ")
            && (next_is_message
                || current.is_none()
                || (prev_blank && is_envelope(l) && lines.peek()?.is_some_and(is_header)))
        {
            if let Some(msg) = current.take() {
                count += 1;
                emit(msg.found())?;
            }
            current = Some(Msg::new());
            (prev_blank, length, next_is_message) = (false, None, false);
            continue;
        }
        next_is_message = false;
        let msg = current.get_or_insert_with(Msg::new);
        if msg.header_end.is_none() {
            if is_blank(l) {
                msg.push(&line, l, max);
                msg.header_end = Some(msg.bytes.len());
                prev_blank = true;
                if let Some(n) = length.filter(|&n| n <= max)
                    && let Some(body) = body_by_length(&mut lines, n)?
                {
                    let whole = Line {
                        len: body.len() as u64,
                        bytes: body,
                    };
                    msg.push(&whole, &whole.bytes, max);
                    if let Some(msg) = current.take() {
                        count += 1;
                        emit(msg.found())?;
                    }
                    next_is_message = true;
                }
                continue;
            }
            length = length.or_else(|| content_length(l));
        }
        let gt = l.iter().take_while(|&&b| b == b'>').count();
        let quoted_from = gt > 0 && l[gt..].starts_with(b"From ");
        msg.push(&line, if quoted_from { &l[1..] } else { l }, max);
        prev_blank = is_blank(l);
    }
    if let Some(msg) = current.take()
        && (msg.too_large || !msg.bytes.iter().all(|b| b.is_ascii_whitespace()))
    {
        count += 1;
        emit(msg.found())?;
    }
    Ok(count)
}

/// The next `n` bytes as a message body, when the file agrees with its
/// `Content-Length`: they end on a line end, and what follows is the end
/// of the file or (after at most one blank line, which belongs to the mbox)
/// an envelope line. Else nothing is consumed, and `None` says to read the
/// message line by line.
fn body_by_length<R: BufRead>(lines: &mut Lines<R>, n: u64) -> Result<Option<Vec<u8>>> {
    let mut taken: Vec<Line> = Vec::new();
    let mut len = 0u64;
    while len < n {
        let Some(l) = lines.next()? else { break };
        len += l.len;
        taken.push(l);
    }
    let envelope = |l: &Line| l.bytes.starts_with(b"From ") && is_envelope(&l.bytes);
    let whole = taken.iter().all(|l| l.len == l.bytes.len() as u64);
    let (agrees, read_again) = if len != n || !whole {
        (false, Vec::new())
    } else {
        match lines.next()? {
            None => (true, Vec::new()),
            Some(l) if envelope(&l) => (true, vec![l]),
            Some(l) if is_blank(&l.bytes) => match lines.next()? {
                None => (true, Vec::new()),
                Some(m) if envelope(&m) => (true, vec![m]),
                Some(m) => (false, vec![l, m]),
            },
            Some(l) => (false, vec![l]),
        }
    };
    for l in read_again.into_iter().rev() {
        lines.unread(l);
    }
    if agrees {
        return Ok(Some(taken.into_iter().flat_map(|l| l.bytes).collect()));
    }
    for l in taken.into_iter().rev() {
        lines.unread(l);
    }
    Ok(None)
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

    fn messages(mbox: &str) -> Vec<String> {
        let mut out = Vec::new();
        split(mbox.as_bytes(), 1 << 20, |m| {
            match m {
                Found::Whole(m) => out.push(String::from_utf8(m).unwrap()),
                other => panic!("{other:?}"),
            }
            Ok(())
        })
        .unwrap();
        out
    }

    #[test]
    fn a_message_over_the_limit_is_its_header_and_its_size() {
        let big = "x".repeat(100);
        let mbox = format!(
            "From a@b Mon Jan  1 00:00:00 2026\nSubject: big\n\n{big}\n{big}\n\nFrom c@d Mon Jan  1 00:00:00 2026\nSubject: one long line\n\n{big}{big}\n\nFrom e@f Mon Jan  1 00:00:00 2026\nSubject: small\n\nhi\n"
        );
        let mut got = Vec::new();
        split(mbox.as_bytes(), 150, |m| {
            got.push(m);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            got,
            vec![
                Found::TooLarge {
                    header: b"Subject: big\n\n".to_vec(),
                    size: 14 + 202 + 1
                },
                Found::TooLarge {
                    header: b"Subject: one long line\n\n".to_vec(),
                    size: 24 + 201 + 1
                },
                Found::Whole(b"Subject: small\n\nhi\n".to_vec()),
            ]
        );
    }

    #[test]
    fn envelope_lines_as_writers_write_them() {
        for line in [
            "From rfrancois at mango-solutions.com  Sun Apr  1 09:51:20 2007\n",
            "From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n",
            "From user@domain  Fri Feb 22 23:00:00 2008 +0200\n",
            "From - Mon Jan 01 00:00:00 2001\r\n",
            "From 1684286203213830478@xxx Wed May 17 04:13:27 +0000 2023\n",
            "From a@b Mon, 2 Nov 2026 10:00:00 +0000\n",
            "From a@b Mon Nov  2 10:00 2026\n",
        ] {
            assert!(is_envelope(line.as_bytes()), "{line}");
        }
        for line in [
            "From R-help\n",
            "From what I can tell, nlme is the only package\n",
            "From R-admin: http://r.research.att.com/man/R-exts.html\n",
            "From a review of R-Exts, the language was in 2.11.1 on Mon Jan  1\n",
            "From Mon Jan  1 00:00:00 2026\n",
        ] {
            assert!(!is_envelope(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn mboxrd_is_split_and_unquoted() {
        let got = messages(
            "From a@b Mon Jan  1 00:00:00 2026\nSubject: one\n\n>From the start\nFrom here on\n\nFrom c@d Mon Jan  1 00:00:00 2026\nSubject: two\n\nbody\n",
        );
        assert_eq!(
            got,
            vec![
                "Subject: one\n\nFrom the start\nFrom here on\n",
                "Subject: two\n\nbody\n"
            ]
        );
    }

    /// Pipermail leaves body lines that start with "From " as they were.
    #[test]
    fn an_unescaped_from_line_in_a_body_is_body() {
        let got = messages(
            "From jdoe at example.org  Sun Apr  1 09:51:20 2007\nFrom: jdoe at example.org (Jane Doe)\nSubject: [Rd] nlme\n\nHello,\n\nFrom what I can tell, nlme is the only one.\n\nFrom R-help\n...\n\nFrom bob at example.org  Sun Apr  1 10:00:00 2007\nFrom: bob at example.org (Bob)\nSubject: Re: [Rd] nlme\n\nYes.\n",
        );
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].contains("From what I can tell"), "{}", got[0]);
        assert!(got[0].ends_with("From R-help\n...\n"), "{}", got[0]);
        assert!(got[1].starts_with("From: bob at example.org"), "{}", got[1]);
    }

    /// An envelope-like line that no header follows is body too (a pasted log).
    #[test]
    fn an_envelope_line_without_a_header_after_it_is_body() {
        let got = messages(
            "From a@b Mon Jan  1 00:00:00 2026\nSubject: one\n\nI saw this in my mbox:\n\nFrom c@d Mon Jan  1 00:00:00 2026\nand then nothing.\n",
        );
        assert_eq!(got.len(), 1, "{got:#?}");
    }

    #[test]
    fn content_length_keeps_a_body_whole_when_the_file_agrees() {
        let body = "line\n\nFrom c@d Mon Jan  1 00:00:00 2026\nSubject: not a message\n\nx\n";
        let mbox = format!(
            "From a@b Mon Jan  1 00:00:00 2026\nSubject: one\nContent-Length: {}\n\n{body}\nFrom e@f Mon Jan  1 00:00:00 2026\nSubject: two\n\ny\n",
            body.len()
        );
        let got = messages(&mbox);
        assert_eq!(got.len(), 2, "{got:#?}");
        assert!(got[0].ends_with(body), "{}", got[0]);
        assert_eq!(got[1], "Subject: two\n\ny\n");
        // A Content-Length the file does not bear out is ignored.
        let wrong = mbox.replace(
            &format!("Content-Length: {}", body.len()),
            "Content-Length: 7",
        );
        assert_eq!(messages(&wrong).len(), 3);
    }
}
