//! The demo's deterministic random numbers.

/// SplitMix64: tiny, fast and stable across library versions.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(super) fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub(super) fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
}

pub(super) fn weighted(rng: &mut Rng, pool: &[(usize, f64)]) -> Option<usize> {
    let total: f64 = pool.iter().map(|p| p.1).sum();
    if pool.is_empty() || total <= 0.0 {
        return None;
    }
    let mut x = rng.f() * total;
    for (i, w) in pool {
        if x < *w {
            return Some(*i);
        }
        x -= w;
    }
    pool.last().map(|p| p.0)
}
