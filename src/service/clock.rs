//! The time the lifecycle runs by: the system clock in production, a clock the test moves in tests, so that
//! expiry, reminders and suspension deadlines are tested by moving time rather than by sleeping.

use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

/// A source of the current time.
pub trait Clock: std::fmt::Debug + Send + Sync {
    /// Now, in UTC, truncated to microseconds as [`super::now`] is.
    fn now(&self) -> OffsetDateTime;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        super::now()
    }
}

/// A clock the test moves: the system's time plus an offset the test sets, so that time still flows (a
/// credential issued a second later is a second younger) and jumps when moved.
#[derive(Debug, Default)]
pub struct ManualClock(Mutex<Duration>);

impl ManualClock {
    /// A clock showing the system's time until moved.
    pub fn new() -> Self {
        Self(Mutex::new(Duration::ZERO))
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut offset) = self.0.lock() {
            *offset += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let offset = self.0.lock().map_or(Duration::ZERO, |o| *o);
        super::now() + offset
    }
}
