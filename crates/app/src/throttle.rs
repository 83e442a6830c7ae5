//! Login and sign-up throttling, in memory.
//!
//! Per-node memory is enough here: the limits bound guessing speed, and with N
//! nodes an attacker gets at most N times the budget.
//!
//! Failed logins slow down the pair (account, source address) with a delay
//! that doubles with each failure past a few free ones ([`Backoff`]), the
//! "soft lock" of kanidm: someone guessing from one place waits longer and
//! longer, while the account's owner signing in from anywhere else is not
//! held up, and no one can lock an account by failing on purpose. Against
//! spraying many accounts from one address, failed logins per address have a
//! ceiling ([`FAILED_LOGIN_PER_IP`]); successful ones do not count, so a
//! venue's Wi-Fi or a company's NAT full of members signing in is not blocked.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

/// Failed logins from one address, whatever the accounts.
pub const FAILED_LOGIN_PER_IP: Limit = Limit { max: 100, window: Duration::from_secs(300) };
/// Wrong current passwords when changing a password (the caller is signed in).
pub const FAILED_PASSWORD_CHECK: Limit = Limit { max: 10, window: Duration::from_secs(900) };
pub const SIGNUP_PER_IP: Limit = Limit { max: 20, window: Duration::from_secs(3600) };
/// Sign-ups through one gathering's door pass (a crowd on the venue's Wi-Fi),
/// whatever the address: enough for a full hall, and a leaked pass lets a
/// script make at most this many.
pub const SIGNUP_PER_EVENT: Limit = Limit { max: 300, window: Duration::from_secs(3600) };
/// Light accounts (name and email, at a public gathering or room) from one
/// address: a venue's Wi-Fi fits a full room of newcomers in an hour; a
/// gathering's own budget (`SIGNUP_PER_EVENT`) caps them per gathering too.
pub const LIGHT_PER_IP: Limit = Limit { max: 60, window: Duration::from_secs(3600) };
/// Sign-in links asked for from one address.
pub const SIGN_IN_LINKS_PER_IP: Limit = Limit { max: 10, window: Duration::from_secs(3600) };

#[derive(Default)]
pub struct LoginThrottle {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl LoginThrottle {
    /// Seconds to wait if `key` has used its budget, without counting a hit.
    pub fn blocked(&self, key: &str, limit: &Limit, now: Instant) -> Option<u64> {
        let map = self.windows.lock();
        let (start, n) = map.get(key)?;
        let elapsed = now.saturating_duration_since(*start);
        if elapsed < limit.window && *n >= limit.max {
            Some((limit.window - elapsed).as_secs().max(1))
        } else {
            None
        }
    }

    /// Takes one hit of `key`'s budget, or says how long to wait: the check
    /// and the count under one lock, so racing requests cannot all slip in.
    pub fn take(&self, key: &str, limit: &Limit, now: Instant) -> Result<(), u64> {
        let mut map = self.windows.lock();
        let e = map.entry(key.to_string()).or_insert((now, 0));
        let elapsed = now.saturating_duration_since(e.0);
        if elapsed >= limit.window {
            *e = (now, 0);
        } else if e.1 >= limit.max {
            return Err((limit.window - elapsed).as_secs().max(1));
        }
        e.1 += 1;
        Ok(())
    }

    /// Returns a hit taken for an attempt that did not happen (bad input).
    pub fn give_back(&self, key: &str) {
        if let Some(e) = self.windows.lock().get_mut(key) {
            e.1 = e.1.saturating_sub(1);
        }
    }

    /// Counts one hit against `key`.
    pub fn hit(&self, key: &str, limit: &Limit, now: Instant) {
        let mut map = self.windows.lock();
        if map.len() > 100_000 {
            map.retain(|_, (start, _)| now.saturating_duration_since(*start) < Duration::from_secs(3600));
        }
        let e = map.entry(key.to_string()).or_insert((now, 0));
        if now.saturating_duration_since(e.0) >= limit.window {
            *e = (now, 0);
        }
        e.1 += 1;
    }

    pub fn clear(&self, key: &str) {
        self.windows.lock().remove(key);
    }
}

/// Growing delays per key: the first `free` failures cost nothing, then each
/// one doubles the wait before the next attempt (from `base`, at most `max`).
/// A success clears the key; failures older than `forget` are forgotten.
pub struct BackoffPolicy {
    pub free: u32,
    pub base: Duration,
    pub max: Duration,
    pub forget: Duration,
}

/// Failed logins per (account, source address).
pub const LOGIN_BACKOFF: BackoffPolicy = BackoffPolicy {
    free: 5,
    base: Duration::from_secs(1),
    max: Duration::from_secs(900),
    forget: Duration::from_secs(86_400),
};

impl BackoffPolicy {
    /// The wait after `failures` failures.
    pub fn delay(&self, failures: u32) -> Duration {
        match failures.checked_sub(self.free + 1) {
            None => Duration::ZERO,
            Some(n) => self.base.saturating_mul(1u32 << n.min(20)).min(self.max),
        }
    }
}

#[derive(Default)]
pub struct Backoff {
    keys: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Backoff {
    /// Seconds until `key` may try again, if it must wait.
    pub fn wait(&self, key: &str, p: &BackoffPolicy, now: Instant) -> Option<u64> {
        let map = self.keys.lock();
        let (last, failures) = map.get(key)?;
        let since = now.saturating_duration_since(*last);
        let delay = p.delay(*failures);
        (since < delay && since < p.forget).then(|| (delay - since).as_secs_f64().ceil().max(1.0) as u64)
    }

    /// Records a failure of `key`.
    pub fn fail(&self, key: &str, p: &BackoffPolicy, now: Instant) {
        let mut map = self.keys.lock();
        if map.len() > 100_000 {
            map.retain(|_, (last, _)| now.saturating_duration_since(*last) < p.forget);
        }
        let e = map.entry(key.to_string()).or_insert((now, 0));
        if now.saturating_duration_since(e.0) >= p.forget {
            e.1 = 0;
        }
        *e = (now, e.1 + 1);
    }

    pub fn clear(&self, key: &str) {
        self.keys.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taking_counts_and_refuses_in_one_step_and_gives_back() {
        let t = LoginThrottle::default();
        let l = Limit { max: 2, window: Duration::from_secs(60) };
        let t0 = Instant::now();
        assert_eq!((t.take("k", &l, t0), t.take("k", &l, t0)), (Ok(()), Ok(())));
        assert!(t.take("k", &l, t0).is_err());
        t.give_back("k");
        assert_eq!(t.take("k", &l, t0), Ok(()));
        assert_eq!(t.take("k", &l, t0 + Duration::from_secs(61)), Ok(()), "a new window");
    }

    #[test]
    fn blocks_after_budget_and_reopens_after_window() {
        let t = LoginThrottle::default();
        let l = Limit { max: 2, window: Duration::from_secs(60) };
        let t0 = Instant::now();
        assert_eq!(t.blocked("k", &l, t0), None);
        t.hit("k", &l, t0);
        t.hit("k", &l, t0);
        let wait = t.blocked("k", &l, t0 + Duration::from_secs(10)).unwrap();
        assert_eq!(wait, 50);
        assert_eq!(t.blocked("k", &l, t0 + Duration::from_secs(61)), None);
        assert_eq!(t.blocked("other", &l, t0), None);
    }

    #[test]
    fn backoff_doubles_past_the_free_failures_and_forgets() {
        let p = BackoffPolicy {
            free: 2,
            base: Duration::from_secs(1),
            max: Duration::from_secs(10),
            forget: Duration::from_secs(100),
        };
        assert_eq!(
            (0..8).map(|n| p.delay(n).as_secs()).collect::<Vec<_>>(),
            [0, 0, 0, 1, 2, 4, 8, 10],
            "free, then doubling, capped"
        );
        let b = Backoff::default();
        let t0 = Instant::now();
        b.fail("k", &p, t0);
        b.fail("k", &p, t0);
        assert_eq!(b.wait("k", &p, t0), None, "two failures are free");
        b.fail("k", &p, t0);
        assert_eq!(b.wait("k", &p, t0), Some(1));
        b.fail("k", &p, t0);
        assert_eq!(b.wait("k", &p, t0), Some(2));
        assert_eq!(b.wait("k", &p, t0 + Duration::from_secs(2)), None, "the wait passes");
        assert_eq!(b.wait("other", &p, t0), None, "keys are separate");
        b.fail("k", &p, t0 + Duration::from_secs(200));
        assert_eq!(b.wait("k", &p, t0 + Duration::from_secs(200)), None, "old failures are forgotten");
        b.clear("k");
        assert_eq!(b.wait("k", &p, t0), None);
    }
}
