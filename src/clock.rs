//! The time allears believes it is. `ALLEARS_NOW` (RFC 3339, e.g.
//! `2026-11-26T07:30:00Z`) pins it, so golden digests and schedule tests are
//! repeatable; the demo pins it to the demo mailbox's day ([`pin`]);
//! otherwise it is the system clock.

use std::sync::OnceLock;

use jiff::Timestamp;

static PINNED: OnceLock<Timestamp> = OnceLock::new();

pub(crate) fn now() -> Timestamp {
    std::env::var("ALLEARS_NOW")
        .ok()
        .and_then(|s| s.parse::<Timestamp>().ok())
        .or_else(|| PINNED.get().copied())
        .unwrap_or_else(Timestamp::now)
}

/// From now on this process believes it is `at` (unless `ALLEARS_NOW` says otherwise).
pub(crate) fn pin(at: Timestamp) {
    let _ = PINNED.set(at);
}
