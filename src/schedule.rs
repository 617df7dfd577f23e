//! When a digest is due: the owner's daily time in their time zone.
//!
//! Comes before `send.rs`: `allears run` and `allears daemon` ask it which
//! period (day) the next digest is for and whether it is due yet.

use anyhow::{Result, bail};

/// "07:30" -> (7, 30).
pub(crate) fn parse_time(s: &str) -> Result<(i8, i8)> {
    let Some((h, m)) = s.trim().split_once(':') else {
        bail!("`{s}` should be HH:MM, like \"07:30\"");
    };
    let (Ok(h), Ok(m)) = (h.parse::<i8>(), m.parse::<i8>()) else {
        bail!("`{s}` should be HH:MM, like \"07:30\"");
    };
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        bail!("`{s}` is not a time of day");
    }
    Ok((h, m))
}
