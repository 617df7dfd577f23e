//! How much the command line says, and whether it colours it.
//!
//! `-q` says only errors (for cron), `-v` says more; [`note`] is the one
//! way a summary line reaches standard error. Colour is added only where
//! standard output is a terminal, `NO_COLOR` is unset or empty
//! (<https://no-color.org>), and `TERM` is not `dumb`; coloured text is
//! ours, and anything from mail or a server inside it has passed through
//! `text::visible` first.

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, Ordering};

static LEVEL: AtomicU8 = AtomicU8::new(1);

/// 0 quiet, 1 normal, 2 verbose, 3 debug (`cli::Cli::level`).
pub(crate) fn set_level(level: u8) {
    LEVEL.store(level, Ordering::Relaxed);
}

pub(crate) fn quiet() -> bool {
    LEVEL.load(Ordering::Relaxed) == 0
}

pub(crate) fn verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 2
}

/// A summary or a warning for standard error, shown as text; nothing under `-q`.
pub(crate) fn note(line: &str) {
    if !quiet() {
        eprintln!("{}", crate::text::visible(line));
    }
}

/// Whether output to a terminal may be coloured, given what the environment says.
pub(crate) fn color_allowed(
    is_terminal: bool,
    no_color: Option<&OsStr>,
    term: Option<&OsStr>,
) -> bool {
    is_terminal && no_color.is_none_or(OsStr::is_empty) && term.is_none_or(|t| t != "dumb")
}

/// ANSI colours for standard output, or none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    on: bool,
}

impl Paint {
    pub fn stdout() -> Paint {
        Paint {
            on: color_allowed(
                std::io::stdout().is_terminal(),
                std::env::var_os("NO_COLOR").as_deref(),
                std::env::var_os("TERM").as_deref(),
            ),
        }
    }

    fn wrap(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn ok(self, s: &str) -> String {
        self.wrap("32", s)
    }

    pub fn bad(self, s: &str) -> String {
        self.wrap("1;31", s)
    }

    pub fn hint(self, s: &str) -> String {
        self.wrap("33", s)
    }

    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_and_dumb_terminals_get_no_colour() {
        let set = Some(OsStr::new("1"));
        assert!(color_allowed(true, None, Some(OsStr::new("xterm"))));
        assert!(!color_allowed(true, set, Some(OsStr::new("xterm"))));
        // An empty NO_COLOR does not count (no-color.org).
        assert!(color_allowed(true, Some(OsStr::new("")), None));
        assert!(!color_allowed(true, None, Some(OsStr::new("dumb"))));
        assert!(!color_allowed(false, None, None));
        assert_eq!(Paint { on: false }.bad("x"), "x");
        assert_eq!(Paint { on: true }.bad("x"), "\x1b[1;31mx\x1b[0m");
    }
}
