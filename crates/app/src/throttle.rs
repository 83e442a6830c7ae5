//! Login and sign-up throttling: fixed windows per key, in memory.
//!
//! Per-node memory is enough here: the limits bound guessing speed, and with N
//! nodes an attacker gets at most N times the budget. Failed logins count per
//! account and every attempt counts per client IP.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub struct Limit {
    pub max: u32,
    pub window: Duration,
}

pub const LOGIN_PER_IP: Limit = Limit { max: 30, window: Duration::from_secs(300) };
pub const FAILED_LOGIN_PER_ACCOUNT: Limit = Limit { max: 10, window: Duration::from_secs(900) };
pub const SIGNUP_PER_IP: Limit = Limit { max: 20, window: Duration::from_secs(3600) };

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
