//! Distributions and the percentile maths every figure in the report uses.
//!
//! [`Histogram`] is a log-linear histogram of `u64` values (microseconds or bytes), in the spirit of
//! HdrHistogram: every value below 128 has its own bucket, and every power of two above is split into 128
//! equal buckets. A percentile is therefore reported with a relative error below 1/128 (0.8 %), memory stays
//! bounded however long a run lasts, and histograms merge by adding counts.
//!
//! Percentiles use the **nearest-rank** rule: the p-th percentile of n values is the value of rank
//! `max(1, ceil(p/100 × n))` in ascending order. The histogram answers with the highest value its bucket holds,
//! clamped to the exact maximum seen, so p100 is the exact maximum and a percentile is never understated.
//! [`nearest_rank`] applies the same rule exactly to a small sorted slice (per-client figures).

/// Values below this have an exact bucket; each power of two above is split into this many buckets.
const SUB: u64 = 128;
/// `log2(SUB)`.
const SUB_BITS: u32 = 7;

/// A log-linear histogram with a relative error below 1/128.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

fn bucket_of(v: u64) -> usize {
    if v < SUB {
        return v as usize;
    }
    let exp = 63 - v.leading_zeros(); // floor(log2 v) >= SUB_BITS
    let shift = exp - SUB_BITS;
    let sub = (v >> shift) - SUB;
    (SUB + u64::from(shift) * SUB + sub) as usize
}

/// The highest value that falls in bucket `i`.
fn bucket_high(i: usize) -> u64 {
    let i = i as u64;
    if i < SUB {
        return i;
    }
    let shift = (i - SUB) / SUB;
    let sub = (i - SUB) % SUB;
    ((SUB + sub) << shift) + ((1u64 << shift) - 1)
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one value.
    pub fn record(&mut self, v: u64) {
        let i = bucket_of(v);
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        if self.count == 0 || v < self.min {
            self.min = v;
        }
        self.max = self.max.max(v);
        self.count += 1;
        self.sum += u128::from(v);
    }

    /// Adds every value of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        if other.count == 0 {
            return;
        }
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        if self.count == 0 || other.min < self.min {
            self.min = other.min;
        }
        self.max = self.max.max(other.max);
        self.count += other.count;
        self.sum += other.sum;
    }

    /// Forgets every value, keeping the buckets' memory.
    pub fn clear(&mut self) {
        self.counts.fill(0);
        self.count = 0;
        self.sum = 0;
        self.min = 0;
        self.max = 0;
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The exact largest value, or `None` when empty.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The exact mean, or `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    /// The `p`-th percentile (0 < p ≤ 100) by the nearest-rank rule, or `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(bucket_high(i).clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }
}

/// The `p`-th percentile of an ascending slice by the nearest-rank rule, exactly; `None` when empty.
pub fn nearest_rank(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact_and_follow_nearest_rank() {
        let mut h = Histogram::new();
        for v in 1..=100 {
            h.record(v);
        }
        assert_eq!(h.percentile(50.0), Some(50));
        assert_eq!(h.percentile(99.0), Some(99));
        assert_eq!(h.percentile(99.5), Some(100), "rank ceil(99.5) = 100");
        assert_eq!(h.percentile(100.0), Some(100));
        assert_eq!(h.percentile(0.1), Some(1), "rank is at least 1");
        assert_eq!(h.mean(), Some(50.5));
        assert_eq!(h.max(), Some(100));
    }

    #[test]
    fn large_values_stay_within_the_relative_error_and_are_never_understated() {
        let mut h = Histogram::new();
        let values: Vec<u64> = (1..=100_000u64).map(|i| i * 37).collect();
        for &v in &values {
            h.record(v);
        }
        for p in [50.0, 90.0, 99.0, 99.9] {
            let exact = nearest_rank(&values.iter().map(|&v| v as f64).collect::<Vec<_>>(), p)
                .expect("not empty") as u64;
            let got = h.percentile(p).expect("not empty");
            assert!(got >= exact, "p{p}: {got} understates {exact}");
            let err = (got - exact) as f64 / exact as f64;
            assert!(err < 1.0 / 128.0, "p{p}: {got} vs {exact}, error {err}");
        }
        assert_eq!(
            h.percentile(100.0),
            Some(3_700_000),
            "p100 is the exact max"
        );
    }

    #[test]
    fn buckets_are_contiguous_and_cover_u64() {
        for v in [
            0,
            1,
            127,
            128,
            255,
            256,
            257,
            1 << 20,
            (1 << 20) + 12345,
            u64::MAX,
        ] {
            let i = bucket_of(v);
            assert!(bucket_high(i) >= v, "{v} above its bucket's top");
            if i > 0 {
                assert!(bucket_high(i - 1) < v, "{v} belongs to an earlier bucket");
            }
        }
        let mut h = Histogram::new();
        h.record(u64::MAX);
        assert_eq!(h.percentile(50.0), Some(u64::MAX));
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let (mut a, mut b, mut all) = (Histogram::new(), Histogram::new(), Histogram::new());
        for v in 0..1000u64 {
            let v = v * v;
            if v % 3 == 0 { &mut a } else { &mut b }.record(v);
            all.record(v);
        }
        a.merge(&b);
        for p in [1.0, 50.0, 99.0, 100.0] {
            assert_eq!(a.percentile(p), all.percentile(p));
        }
        b.clear();
        assert_eq!((b.count(), b.max(), b.percentile(50.0)), (0, None, None));
        b.record(7);
        assert_eq!((b.count(), b.mean(), b.max()), (1, Some(7.0), Some(7)));
        assert_eq!((a.count(), a.mean()), (all.count(), all.mean()));
        assert_eq!(Histogram::new().percentile(50.0), None);
    }

    #[test]
    fn nearest_rank_on_a_slice() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(nearest_rank(&v, 50.0), Some(2.0));
        assert_eq!(nearest_rank(&v, 51.0), Some(3.0));
        assert_eq!(nearest_rank(&v, 100.0), Some(4.0));
        assert_eq!(nearest_rank(&v, 0.0), Some(1.0));
        assert_eq!(nearest_rank(&[], 50.0), None);
    }
}
