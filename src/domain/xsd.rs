//! The two value types of W3C specifications the whole service needs: XML Schema `dateTimeStamp` (VCDM 2.0
//! `validFrom`/`validUntil`, proof `created`) and URLs (VCDM identifiers). Pure, so that both the domain and
//! the credentials layer use them without one importing the other.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Whether `s` is a URL in the VCDM sense (absolute, with a scheme; `did:`, `urn:` and `https:` all are).
///
/// See: <https://www.w3.org/TR/vc-data-model-2.0/#identifiers>
pub fn is_url(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(char::is_whitespace) && url::Url::parse(s).is_ok()
}

/// Parses the exact lexical space of XML Schema 1.1 `dateTimeStamp`: `-?YYYY…-MM-DDThh:mm:ss(.s+)?` with a
/// time zone (`Z` or `±hh:mm` up to `±14:00`), days valid for their month (29 February in leap years only),
/// and `24:00:00` meaning the first instant of the next day. Anything else (`t`/`z` in lower case, a leap
/// second `60`, a missing zone, `+15:00`, spaces) is `None`.
///
/// Years beyond ±9999, which XML Schema allows, are held as the latest or earliest instant representable.
///
/// See: <https://www.w3.org/TR/xmlschema11-2/#dateTimeStamp> and
/// <https://www.w3.org/TR/vc-data-model-2.0/#validity-period>
pub fn parse_date_time_stamp(s: &str) -> Option<OffsetDateTime> {
    let b = s.as_bytes();
    let mut at = 0;
    let negative = b.first() == Some(&b'-');
    if negative {
        at = 1;
    }
    let year_digits = b[at..].iter().take_while(|c| c.is_ascii_digit()).count();
    // Four digits at least; more only without a leading zero.
    if year_digits < 4 || (year_digits > 4 && b[at] == b'0') {
        return None;
    }
    let year_text = &s[at..at + year_digits];
    at += year_digits;
    let rest = &b[at..];
    // -MM-DDThh:mm:ss
    if rest.len() < 15 || rest[0] != b'-' || rest[3] != b'-' || rest[6] != b'T' || rest[9] != b':' || rest[12] != b':' {
        return None;
    }
    let two = |i: usize| -> Option<u8> {
        let (h, l) = (rest[i], rest[i + 1]);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| (h - b'0') * 10 + (l - b'0'))
    };
    let (month, day, hour, minute, second) = (two(1)?, two(4)?, two(7)?, two(10)?, two(13)?);
    let mut i = 15;
    let mut nanos: u32 = 0;
    let mut fraction_is_zero = true;
    if rest.get(i) == Some(&b'.') {
        let digits = rest[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        for (k, d) in rest[i + 1..i + 1 + digits].iter().enumerate() {
            fraction_is_zero &= *d == b'0';
            if k < 9 {
                nanos += u32::from(d - b'0') * 10u32.pow(8 - k as u32);
            }
        }
        i += 1 + digits;
    }
    let offset = match &rest[i..] {
        b"Z" => UtcOffset::UTC,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [h1, h2, m1, m2];
            if !digits.iter().all(|d| d.is_ascii_digit()) {
                return None;
            }
            let (h, m) = ((h1 - b'0') * 10 + (h2 - b'0'), (m1 - b'0') * 10 + (m2 - b'0'));
            if m > 59 || h > 14 || (h == 14 && m != 0) {
                return None;
            }
            let (h, m) = (i8::try_from(h).ok()?, i8::try_from(m).ok()?);
            let sign = if *sign == b'-' { -1 } else { 1 };
            UtcOffset::from_hms(sign * h, sign * m, 0).ok()?
        }
        _ => return None,
    };
    let end_of_day = hour == 24 && minute == 0 && second == 0 && fraction_is_zero;
    if (hour > 23 && !end_of_day) || minute > 59 || second > 59 {
        return None;
    }
    let month = Month::try_from(month).ok()?;
    // More digits than an i64 holds is still a year, only far away.
    let year: i64 = year_text.parse().unwrap_or(i64::MAX);
    let year = if negative { -year } else { year };
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let far = if year > 0 { PrimitiveDateTime::MAX.assume_utc() } else { PrimitiveDateTime::MIN.assume_utc() };
    let Ok(representable) =
        i32::try_from(year).map_err(|_| ()).and_then(|y| Date::from_calendar_date(y, month, day).map_err(|_| ()))
    else {
        return Some(far);
    };
    let time = if end_of_day { Time::MIDNIGHT } else { Time::from_hms_nano(hour, minute, second, nanos).ok()? };
    let mut at = PrimitiveDateTime::new(representable, time);
    if end_of_day {
        let Some(next) = at.checked_add(time::Duration::DAY) else { return Some(far) };
        at = next;
    }
    // In UTC, so that no later conversion can leave the representable range (and panic).
    Some(at.assume_offset(offset).checked_to_offset(UtcOffset::UTC).unwrap_or(far))
}

/// Days of `month` in `year` of the proleptic Gregorian calendar XML Schema uses (year 0 is a leap year).
fn days_in_month(year: i64, month: Month) -> u8 {
    let leap = year.rem_euclid(400) == 0 || (year.rem_euclid(4) == 0 && year.rem_euclid(100) != 0);
    match month {
        Month::February if leap => 29,
        Month::February => 28,
        Month::April | Month::June | Month::September | Month::November => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_lexical_space_of_date_time_stamp_is_accepted() {
        let cases = [
            ("2025-03-01T09:00:00Z", datetime!(2025-03-01 09:00:00 UTC)),
            ("2025-03-01T09:00:00.123456789+02:00", datetime!(2025-03-01 09:00:00.123456789 +02:00)),
            ("2025-03-01T09:00:00.5Z", datetime!(2025-03-01 09:00:00.5 UTC)),
            ("2025-03-01T09:00:00.1234567891234Z", datetime!(2025-03-01 09:00:00.123456789 UTC)),
            ("2025-03-01T09:00:00-06:00", datetime!(2025-03-01 09:00:00 -06:00)),
            ("2025-03-01T09:00:00+14:00", datetime!(2025-03-01 09:00:00 +14:00)),
            ("2025-12-31T24:00:00Z", datetime!(2026-01-01 00:00:00 UTC)),
            ("2025-12-31T24:00:00.000Z", datetime!(2026-01-01 00:00:00 UTC)),
            ("0001-01-01T00:00:00Z", datetime!(0001-01-01 00:00:00 UTC)),
            ("2024-02-29T00:00:00Z", datetime!(2024-02-29 00:00:00 UTC)),
            ("2000-02-29T00:00:00Z", datetime!(2000-02-29 00:00:00 UTC)),
            ("-0044-03-15T12:00:00Z", datetime!(-0044-03-15 12:00:00 UTC)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_date_time_stamp(text), Some(expected), "{text}");
        }
        assert_eq!(parse_date_time_stamp("12025-01-01T00:00:00Z").map(|t| t.year()), Some(9999));
        // At the edges of the representable range: clamped, in UTC, never a panic later.
        for (text, year) in [
            ("9999-12-31T23:00:00-05:00", 9999),
            ("10000-01-01T00:00:00-01:00", 9999),
            ("9999-12-31T24:00:00Z", 9999),
            ("-9999-01-01T00:00:00+01:00", -9999),
            ("123456789012345678901-01-01T00:00:00Z", 9999),
        ] {
            let t = parse_date_time_stamp(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!((t.year(), t.offset()), (year, UtcOffset::UTC), "{text}");
        }
    }

    #[test]
    fn everything_else_is_refused() {
        for text in [
            "2025-03-01T09:00:00",
            "2025-03-01t09:00:00Z",
            "2025-03-01T09:00:00z",
            "2025-03-01 09:00:00Z",
            "2025-03-01T09:00Z",
            "2025-03-01T09:00:60Z",
            "2025-03-01T24:00:01Z",
            "2025-03-01T24:30:00Z",
            "2025-03-01T24:00:00.1Z",
            "2025-03-01T25:00:00Z",
            "2025-03-01T09:00:00+15:00",
            "2025-03-01T09:00:00+14:30",
            "2025-03-01T09:00:00+0200",
            "2025-03-01T09:00:00.Z",
            "2025-02-29T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2025-04-31T00:00:00Z",
            "2025-13-01T00:00:00Z",
            "2025-00-01T00:00:00Z",
            "02025-01-01T00:00:00Z",
            "025-01-01T00:00:00Z",
            "+2025-01-01T00:00:00Z",
            " 2025-01-01T00:00:00Z",
            "2025-01-01T00:00:00Z ",
            "2025-1-01T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_date_time_stamp(text), None, "{text:?}");
        }
    }
}
