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

/// A clock that stands still until moved: for tests (and simulations) of the lifecycle.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock to `at` (backwards too).
    pub fn set(&self, at: OffsetDateTime) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }

    /// Moves the clock on by `by`.
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.0.lock().map_or_else(|_| super::now(), |t| *t)
    }
}
