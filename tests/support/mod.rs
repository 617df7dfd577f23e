//! Test support: a temp dir with a config, and a runner for the real binary.

#![allow(dead_code)]

pub mod dovecot;
pub mod oauth2;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temp dir holding a `digest.toml` and the store, and a way to run allears in it.
pub struct Env {
    pub dir: tempfile::TempDir,
    /// Pinned "now" (RFC 3339) for repeatable digests.
    pub now: Option<String>,
    pub vars: Vec<(String, String)>,
}

/// The repository root (fixtures/, digest.toml).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared corpora, when ALLEARS_CORPORA is set; None means "skip loudly".
pub fn corpora(test: &str) -> Option<PathBuf> {
    match std::env::var_os("ALLEARS_CORPORA") {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            eprintln!("SKIPPED {test}: set ALLEARS_CORPORA to the shared corpora folder to run it");
            None
        }
    }
}

pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            status: o.status,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    /// Assert success and return stdout.
    pub fn ok(self) -> String {
        assert!(
            self.status.success(),
            "allears failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
        self.stdout
    }
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
            .collect()
    }
}

impl Env {
    /// A temp dir with the given config text as digest.toml.
    pub fn with_config(config: &str) -> Env {
        let dir = tempfile::Builder::new()
            .prefix("ae")
            .tempdir_in(short_tmp())
            .expect("temp dir");
        std::fs::write(dir.path().join("digest.toml"), config).expect("write config");
        Env {
            dir,
            now: None,
            vars: Vec::new(),
        }
    }

    /// The default owner, reading nothing unless told.
    pub fn new() -> Env {
        Env::with_config(&owner_config(""))
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn now(mut self, now: &str) -> Env {
        self.now = Some(now.to_string());
        self
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.current_dir(self.path())
            .arg("--config")
            .arg(self.path().join("digest.toml"))
            .args(args)
            .env_remove("RUST_LOG")
            .env("XDG_CONFIG_HOME", self.path().join("xdg"));
        if let Some(now) = &self.now {
            c.env("ALLEARS_NOW", now);
        }
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// Write a file under the temp dir, making its folders.
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        let p = self.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    }

    /// The item id (without '#') that `items --json` gives a message.
    pub fn item_of(&self, message_id: &str) -> String {
        self.run(&["items", "--json"])
            .json_lines()
            .into_iter()
            .find(|i| i["message_ids"][0] == message_id)
            .and_then(|i| {
                i["id"]
                    .as_str()
                    .map(|s| s.trim_start_matches('#').to_string())
            })
            .unwrap_or_else(|| panic!("no item for {message_id}"))
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("run allears"))
    }
}

/// The allears executable under test: this build's, or `ALLEARS_TEST_BIN`
/// (say, an older build, to see a regression test fail without the fix).
pub fn bin() -> PathBuf {
    match std::env::var_os("ALLEARS_TEST_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_allears")),
    }
}

/// A config for the demo owner, with extra TOML appended.
pub fn owner_config(extra: &str) -> String {
    format!(
        "[owner]\nname = \"Robin Ellis\"\naddresses = [\"robin@ellis-on-it.example\", \"rellis@mailhost.example\"]\n\n[schedule]\ntimezone = \"Europe/Lisbon\"\n\n{extra}"
    )
}

/// Unix socket paths are limited to 108 bytes: keep temp dirs short.
pub fn short_tmp() -> PathBuf {
    let p = PathBuf::from("/tmp");
    if p.is_dir() { p } else { std::env::temp_dir() }
}

/// A number unique within this test process, for Message-IDs.
pub fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A `format=flowed` text part (RFC 3676, delsp=no) as a flowed reader shows
/// it: one space of stuffing removed, soft-broken lines (ending in a space) joined.
pub fn unflow(flowed: &str) -> String {
    let mut out = String::new();
    for line in flowed.lines() {
        let line = line.strip_prefix(' ').unwrap_or(line);
        out.push_str(line);
        if !line.ends_with(' ') || line == "-- " {
            out.push('\n');
        }
    }
    out
}
