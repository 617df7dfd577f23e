//! When a digest is due: the owner's daily time in their time zone.
//!
//! Comes before `send.rs`: `allears run` and `allears daemon` ask it which
//! period (day) the digest is for and whether that period's slot has passed.
//! A slot is a wall-clock time on a calendar day in an IANA zone, so daylight
//! saving moves it with the owner's clock: a time that does not exist on the
//! day clocks spring forward is taken as the same length of time later (jiff's
//! "compatible" disambiguation, as RFC 5545 does for DTSTART), and a time
//! that happens twice when clocks fall back is taken at its first occurrence.
//!
//! The weekly digest (`[schedule] weekly = "sunday"`) is due at the same
//! time on that day of the week, by the same rules.
//!
//! Catching up is built into the rule: the due period is the day of the
//! latest slot at or before now. However many slots a sleeping machine
//! missed, only the latest one is due, so a catch-up sends one digest, never
//! several.

use anyhow::{Context, Result, bail};
use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;

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

/// "sunday" (or "sun", any case) -> Sunday.
pub(crate) fn parse_weekday(s: &str) -> Result<Weekday> {
    const DAYS: [(&str, Weekday); 7] = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];
    let lower = s.trim().to_ascii_lowercase();
    DAYS.iter()
        .find(|(name, _)| lower.len() >= 3 && name.starts_with(&lower))
        .map(|(_, d)| *d)
        .with_context(|| format!("`{s}` is not a day of the week, like \"sunday\""))
}

/// The owner's daily digest time in their zone.
#[derive(Debug, Clone)]
pub(crate) struct Daily {
    pub time: Time,
    pub zone: TimeZone,
}

/// One occurrence of the daily time: the day it belongs to and the instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slot {
    pub day: Date,
    pub at: Timestamp,
}

impl Daily {
    pub fn new(time: &str, zone: TimeZone) -> Result<Daily> {
        let (h, m) = parse_time(time)?;
        let time = Time::new(h, m, 0, 0).with_context(|| format!("`{time}`"))?;
        Ok(Daily { time, zone })
    }

    /// The instant of the daily time on `day`, as the owner's clock shows it.
    pub fn slot(&self, day: Date) -> Result<Slot> {
        let at = day
            .to_datetime(self.time)
            .to_zoned_datetime(self.zone.clone())
            .with_context(|| format!("placing {} {} in the time zone", day, self.time))?
            .timestamp();
        Ok(Slot { day, at })
    }

    /// The latest slot at or before `now`: the period that is due.
    pub fn latest(&self, now: Timestamp) -> Result<Slot> {
        let today = now.to_zoned_datetime(self.zone.clone()).date();
        let slot = self.slot(today)?;
        if slot.at <= now {
            return Ok(slot);
        }
        self.slot(today.yesterday().context("date out of range")?)
    }

    /// The latest slot on `weekday` at or before `now`: the week that is due.
    pub fn latest_on(&self, weekday: Weekday, now: Timestamp) -> Result<Slot> {
        let mut slot = self.latest(now)?;
        for _ in 0..7 {
            if slot.day.weekday() == weekday {
                return Ok(slot);
            }
            slot = self.slot(slot.day.yesterday().context("date out of range")?)?;
        }
        bail!("no {weekday:?} in a week")
    }

    /// The first slot strictly after `now`: when the next digest is due.
    pub fn next(&self, now: Timestamp) -> Result<Slot> {
        let latest = self.latest(now)?;
        self.slot(latest.day.tomorrow().context("date out of range")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lisbon(time: &str) -> Daily {
        Daily::new(time, TimeZone::get("Europe/Lisbon").unwrap()).unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_weekly_slot_is_the_latest_on_its_day() {
        let d = lisbon("07:30");
        let sunday = parse_weekday("Sunday").unwrap();
        assert_eq!(parse_weekday("sun").unwrap(), sunday);
        assert!(parse_weekday("someday").is_err());
        assert!(parse_weekday("s").is_err());
        // Thursday 26 November 2026: the latest Sunday slot is the 22nd.
        let slot = d.latest_on(sunday, ts("2026-11-26T10:00:00Z")).unwrap();
        assert_eq!(slot.day, "2026-11-22".parse::<Date>().unwrap());
        // On Sunday before the time, it is the Sunday before.
        let early = d.latest_on(sunday, ts("2026-11-29T06:00:00Z")).unwrap();
        assert_eq!(early.day, "2026-11-22".parse::<Date>().unwrap());
        let after = d.latest_on(sunday, ts("2026-11-29T08:00:00Z")).unwrap();
        assert_eq!(after.day, "2026-11-29".parse::<Date>().unwrap());
    }

    #[test]
    fn times_of_day() {
        assert_eq!(parse_time("07:30").unwrap(), (7, 30));
        assert!(parse_time("24:00").is_err());
        assert!(parse_time("7h30").is_err());
    }

    #[test]
    fn the_slot_follows_the_owners_clock_across_summer_time() {
        let d = lisbon("07:30");
        // Winter: Lisbon is UTC+0; summer: UTC+1 (EU rules, last Sunday of March/October).
        assert_eq!(
            d.slot("2026-03-28".parse().unwrap()).unwrap().at,
            ts("2026-03-28T07:30:00Z")
        );
        assert_eq!(
            d.slot("2026-03-29".parse().unwrap()).unwrap().at,
            ts("2026-03-29T06:30:00Z")
        );
        assert_eq!(
            d.slot("2026-10-24".parse().unwrap()).unwrap().at,
            ts("2026-10-24T06:30:00Z")
        );
        assert_eq!(
            d.slot("2026-10-25".parse().unwrap()).unwrap().at,
            ts("2026-10-25T07:30:00Z")
        );
    }

    #[test]
    fn next_slot_is_23_or_25_hours_away_on_the_days_clocks_change() {
        let d = lisbon("07:30");
        let before_spring = ts("2026-03-28T07:30:00Z");
        let gap = d
            .next(before_spring)
            .unwrap()
            .at
            .duration_since(before_spring);
        assert_eq!(gap.as_secs(), 23 * 3600);
        let before_autumn = ts("2026-10-24T06:30:00Z");
        let gap = d
            .next(before_autumn)
            .unwrap()
            .at
            .duration_since(before_autumn);
        assert_eq!(gap.as_secs(), 25 * 3600);
    }

    #[test]
    fn a_time_skipped_by_spring_forward_is_taken_an_hour_later() {
        // 2026-03-29 01:00 WET jumps to 02:00 WEST: 01:30 does not exist.
        let d = lisbon("01:30");
        let slot = d.slot("2026-03-29".parse().unwrap()).unwrap();
        assert_eq!(slot.at, ts("2026-03-29T01:30:00Z"), "02:30 WEST");
    }

    #[test]
    fn a_time_repeated_by_fall_back_is_taken_once_at_its_first_occurrence() {
        // 2026-10-25 02:00 WEST falls back to 01:00 WET: 01:30 happens twice.
        let d = lisbon("01:30");
        let slot = d.slot("2026-10-25".parse().unwrap()).unwrap();
        assert_eq!(slot.at, ts("2026-10-25T00:30:00Z"), "01:30 WEST, the first");
        // Between the two 01:30s, the period is that day and the next slot is a day on.
        let between = ts("2026-10-25T01:10:00Z");
        assert_eq!(
            d.latest(between).unwrap().day,
            "2026-10-25".parse::<Date>().unwrap()
        );
        assert_eq!(
            d.next(between).unwrap().day,
            "2026-10-26".parse::<Date>().unwrap()
        );
    }

    #[test]
    fn before_the_time_the_due_period_is_yesterday() {
        let d = lisbon("07:30");
        let early = ts("2026-11-26T06:00:00Z");
        assert_eq!(
            d.latest(early).unwrap().day,
            "2026-11-25".parse::<Date>().unwrap()
        );
        let later = ts("2026-11-26T07:30:00Z");
        assert_eq!(
            d.latest(later).unwrap().day,
            "2026-11-26".parse::<Date>().unwrap()
        );
    }

    #[test]
    fn a_machine_that_slept_three_days_owes_one_digest() {
        let d = lisbon("07:30");
        let woke = ts("2026-11-29T10:00:00Z");
        let due = d.latest(woke).unwrap();
        assert_eq!(due.day, "2026-11-29".parse::<Date>().unwrap());
        assert!(d.next(woke).unwrap().at > woke);
    }
}
