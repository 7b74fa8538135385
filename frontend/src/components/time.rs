/// An RFC 3339 UTC time as people read it: `2026-11-25 15:01:48 UTC`.
pub fn short_time(rfc3339: &str) -> String {
    match rfc3339.get(..19) {
        Some(head) if rfc3339.ends_with('Z') => format!("{} UTC", head.replace('T', " ")),
        _ => rfc3339.to_owned(),
    }
}

/// An RFC 3339 time as the wall clock in the browser's zone shows it: `14:02:11`. A time
/// that does not parse is shown as it came.
pub fn local_clock(rfc3339: &str) -> String {
    clock_in_zone(rfc3339, browser_offset_minutes(rfc3339)).unwrap_or_else(|| rfc3339.to_owned())
}

/// Minutes east of UTC of the browser's zone at that time, daylight saving included.
fn browser_offset_minutes(rfc3339: &str) -> i32 {
    let date = web_sys::js_sys::Date::new(&rfc3339.into());
    // JavaScript counts minutes west of UTC; an unparsable date gives NaN, read as 0.
    let west = date.get_timezone_offset();
    if west.is_finite() {
        // Whole minutes within a day: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        -(west.round() as i32)
    } else {
        0
    }
}

/// The wall clock `HH:MM:SS` of an RFC 3339 time (`2026-11-25T14:02:11.5+01:00`) in a
/// zone `east` minutes east of UTC. The zone is a parameter so tests can fix it.
pub fn clock_in_zone(rfc3339: &str, east: i32) -> Option<String> {
    let (_date, rest) = rfc3339.split_at_checked(10)?;
    if !rest.starts_with(['T', 't', ' ']) {
        return None;
    }
    let seconds = clock_seconds(rest.get(1..9)?)?;
    let zone = rest
        .get(9..)?
        .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let own = zone_minutes(zone)?;
    let local = (seconds + i64::from(east - own) * 60).rem_euclid(86_400);
    Some(format!(
        "{:02}:{:02}:{:02}",
        local / 3600,
        local / 60 % 60,
        local % 60
    ))
}

/// `14:02:11` as seconds since midnight.
fn clock_seconds(clock: &str) -> Option<i64> {
    let mut parts = clock.split(':');
    let mut next = |max| two_digits(parts.next()?).filter(|v| *v <= max);
    // 60: a leap second.
    let (h, m, s) = (next(23)?, next(59)?, next(60)?);
    Some(h * 3600 + m * 60 + s)
}

/// `Z`, `+02:00` or `-05:30` as minutes east of UTC.
fn zone_minutes(zone: &str) -> Option<i32> {
    if zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match zone.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    if zone.len() != 6 || zone.get(3..4) != Some(":") {
        return None;
    }
    let h = two_digits(zone.get(1..3)?).filter(|h| *h < 24)?;
    let m = two_digits(zone.get(4..6)?).filter(|m| *m < 60)?;
    i32::try_from(h * 60 + m).ok().map(|minutes| sign * minutes)
}

/// `07` as 7; anything but two ASCII digits is refused (a sign too).
fn two_digits(text: &str) -> Option<i64> {
    let digits = text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utc_time_reads_as_the_local_wall_clock() {
        assert_eq!(
            clock_in_zone("2026-11-25T14:02:11Z", 0).as_deref(),
            Some("14:02:11")
        );
        assert_eq!(
            clock_in_zone("2026-11-25T14:02:11.123456Z", 120).as_deref(),
            Some("16:02:11")
        );
        assert_eq!(
            clock_in_zone("2026-11-25T14:02:11Z", -330).as_deref(),
            Some("08:32:11")
        );
    }

    #[test]
    fn the_times_own_offset_is_taken_off_first() {
        assert_eq!(
            clock_in_zone("2026-11-25T14:02:11+02:00", 0).as_deref(),
            Some("12:02:11")
        );
        assert_eq!(
            clock_in_zone("2026-11-25T14:02:11-05:30", 60).as_deref(),
            Some("20:32:11")
        );
    }

    #[test]
    fn the_clock_wraps_around_midnight() {
        assert_eq!(
            clock_in_zone("2026-11-25T23:30:00Z", 60).as_deref(),
            Some("00:30:00")
        );
        assert_eq!(
            clock_in_zone("2026-11-25T00:10:05Z", -60).as_deref(),
            Some("23:10:05")
        );
    }

    #[test]
    fn what_is_not_rfc_3339_does_not_parse() {
        for bad in [
            "",
            "yesterday",
            "2026-11-25",
            "2026-11-25T14:02Z",
            "2026-11-25T25:02:11Z",
            "2026-11-25T14:02:11",
            "2026-11-25T14:02:11+0200",
            "2026-11-25T14:02:11Zjunk",
            "2026-11-25T+1:02:11Z",
        ] {
            assert_eq!(clock_in_zone(bad, 0), None, "{bad}");
        }
    }
}
