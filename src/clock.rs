//! The time allears believes it is. `ALLEARS_NOW` (RFC 3339, e.g.
//! `2026-11-26T07:30:00Z`) pins it, so golden digests and schedule tests are
//! repeatable; otherwise it is the system clock.

use jiff::Timestamp;

pub(crate) fn now() -> Timestamp {
    std::env::var("ALLEARS_NOW")
        .ok()
        .and_then(|s| s.parse::<Timestamp>().ok())
        .unwrap_or_else(Timestamp::now)
}
