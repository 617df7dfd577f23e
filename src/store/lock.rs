//! One allears at a time on a store: an advisory lock on a file beside it
//! (`allears.db.run-lock`), holding the pid and command of the run that
//! has it. A second allears waits a bounded time (`[store]
//! lock_timeout_secs`) and then says which run holds the store, rather than
//! racing it or hanging. The daemon holds it for each round, not while it
//! sleeps. The lock goes with the open file, so a run that dies frees it.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::Store;

/// The store is ours until this is dropped.
#[derive(Debug)]
pub(crate) struct RunLock {
    _file: Option<File>,
}

impl Store {
    /// Take the run lock for `what` ("run", "import"), waiting up to `wait`
    /// for another allears to finish. An in-memory store needs none.
    pub fn lock_run(&self, wait: Duration, what: &str) -> Result<RunLock> {
        match self.conn.path().filter(|p| !p.is_empty()) {
            Some(db) => RunLock::take(Path::new(db), wait, what),
            None => Ok(RunLock { _file: None }),
        }
    }
}

impl RunLock {
    /// The run lock of the store at `db`, before it is opened (opening may
    /// bring its schema up to date, which one allears at a time must do).
    pub fn take(db: &Path, wait: Duration, what: &str) -> Result<RunLock> {
        let path = PathBuf::from(format!("{}.run-lock", db.display()));
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating folder {}", dir.display()))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if started.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let mut holder = String::new();
                    let _ = file.read_to_string(&mut holder);
                    let holder = holder.trim();
                    let who = if holder.is_empty() {
                        "another allears".to_string()
                    } else {
                        format!("another allears ({holder})")
                    };
                    anyhow::bail!(
                        "{who} is using the store {}; waited {} s for it ([store] lock_timeout_secs). Try again when it has finished",
                        db.display(),
                        wait.as_secs()
                    );
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("locking {}", path.display()));
                }
            }
        }
        let me = format!("pid {}, `allears {what}`", std::process::id());
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(me.as_bytes()))
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(RunLock { _file: Some(file) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("allears.db");
        let a = Store::open(&db, Duration::from_secs(1)).unwrap();
        let b = Store::open(&db, Duration::from_secs(1)).unwrap();
        let held = a.lock_run(Duration::ZERO, "run").unwrap();
        let started = Instant::now();
        let err = b
            .lock_run(Duration::from_millis(300), "import")
            .unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(300));
        let msg = format!("{err:#}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        assert!(msg.contains("allears run"), "{msg}");
        drop(held);
        b.lock_run(Duration::ZERO, "import").unwrap();
    }
}
