//! Drivers: which optional question moves the main score most.
//!
//! Each rollup keeps, per optional question, the sums over (answer x, main
//! score y) pairs (see [`crate::rollup::Moments`]), so the Pearson
//! correlation of x with y and the least-squares slope of y on x come from
//! the rollups of any period and slice without reading a response. The
//! correlation's 95% interval is Fisher's z interval. Below a minimum count
//! a question is reported as "not enough data", with no figure at all: a
//! correlation over a dozen answers is noise that reads like a finding.

use crate::rollup::{Moments, ScoreStats};
use crate::survey::Question;
use serde::Serialize;

/// Answers a question needs before its correlation is shown.
pub const MIN_COUNT: i64 = 30;
/// The least minimum a caller may ask for: Fisher's interval needs n > 3.
pub const LEAST_MIN_COUNT: i64 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Enough answers with spread on both sides: the figures are shown.
    Measured,
    /// Fewer answers than the minimum.
    NotEnoughData,
    /// Every answer (or every main score) was the same: nothing to relate.
    NoVariation,
}

/// One question's relation to the main score.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Driver {
    pub question: Question,
    /// Responses that answered the question.
    pub count: i64,
    pub verdict: Verdict,
    /// Pearson correlation of the answer with the main score, −1 to 1.
    #[serde(serialize_with = "round3")]
    pub correlation: Option<f64>,
    #[serde(serialize_with = "round3")]
    pub low: Option<f64>,
    #[serde(serialize_with = "round3")]
    pub high: Option<f64>,
    /// Main-score points per step of the answer (resolved: yes vs no;
    /// expectations: one of below → met → exceeded).
    #[serde(serialize_with = "round3")]
    pub slope: Option<f64>,
    /// Mean answer (resolved: the share answering yes).
    #[serde(serialize_with = "round3")]
    pub mean_answer: Option<f64>,
}

fn round3<S: serde::Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => serializer.serialize_f64((v * 1000.0).round() / 1000.0),
        None => serializer.serialize_none(),
    }
}

impl Driver {
    fn of(question: Question, m: &Moments, min_count: i64) -> Driver {
        let mut d = Driver {
            question,
            count: m.n,
            verdict: Verdict::NotEnoughData,
            correlation: None,
            low: None,
            high: None,
            slope: None,
            mean_answer: None,
        };
        if m.n < min_count.max(LEAST_MIN_COUNT) {
            return d;
        }
        let n = m.n as f64;
        // n² times the covariance and variances: exact in integers first.
        let sxy = (i128::from(m.n) * i128::from(m.xy) - i128::from(m.x) * i128::from(m.y)) as f64;
        let sxx = (i128::from(m.n) * i128::from(m.xx) - i128::from(m.x).pow(2)) as f64;
        let syy = (i128::from(m.n) * i128::from(m.yy) - i128::from(m.y).pow(2)) as f64;
        d.mean_answer = Some(m.x as f64 / n);
        if sxx <= 0.0 || syy <= 0.0 {
            d.verdict = Verdict::NoVariation;
            return d;
        }
        let r = (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0);
        let z = r.atanh();
        let half = crate::metrics::Z95 / (n - 3.0).sqrt();
        d.verdict = Verdict::Measured;
        d.correlation = Some(r);
        d.low = Some((z - half).tanh());
        d.high = Some((z + half).tanh());
        d.slope = Some(sxy / sxx);
        d
    }
}

/// Every optional question's relation to `stats`' main score: measured
/// ones first, strongest (by |correlation|) first; then the rest, by count.
pub fn drivers(stats: &ScoreStats, min_count: i64) -> Vec<Driver> {
    let mut out: Vec<Driver> = Question::ALL
        .into_iter()
        .map(|q| Driver::of(q, stats.questions.get(q), min_count))
        .collect();
    out.sort_by(|a, b| {
        let strength = |d: &Driver| d.correlation.map(f64::abs);
        strength(b)
            .is_some()
            .cmp(&strength(a).is_some())
            .then(
                strength(b)
                    .unwrap_or(0.0)
                    .total_cmp(&strength(a).unwrap_or(0.0)),
            )
            .then(b.count.cmp(&a.count))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (no dependency for a test).
    struct Lcg(u64);
    impl Lcg {
        fn below(&mut self, n: u64) -> i64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n) as i64
        }
    }

    /// Pearson's r and the slope, computed the textbook way on raw pairs.
    fn direct(pairs: &[(i64, i64)]) -> (f64, f64) {
        let n = pairs.len() as f64;
        let mx = pairs.iter().map(|p| p.0 as f64).sum::<f64>() / n;
        let my = pairs.iter().map(|p| p.1 as f64).sum::<f64>() / n;
        let cov: f64 = pairs
            .iter()
            .map(|p| (p.0 as f64 - mx) * (p.1 as f64 - my))
            .sum();
        let vx: f64 = pairs.iter().map(|p| (p.0 as f64 - mx).powi(2)).sum();
        let vy: f64 = pairs.iter().map(|p| (p.1 as f64 - my).powi(2)).sum();
        (cov / (vx * vy).sqrt(), cov / vx)
    }

    fn stats_from(pairs: &[(Question, i64, i64)]) -> ScoreStats {
        let mut stats = ScoreStats::default();
        for &(q, x, y) in pairs {
            let m = match q {
                Question::Friendliness => &mut stats.questions.friendliness,
                Question::Speed => &mut stats.questions.speed,
                Question::Knowledge => &mut stats.questions.knowledge,
                Question::Resolved => &mut stats.questions.resolved,
                Question::Expectations => &mut stats.questions.expectations,
            };
            m.add(&Moments::observe(x, y), 1);
        }
        stats
    }

    #[test]
    fn correlations_from_rollup_moments_equal_the_direct_computation() {
        let mut rng = Lcg(7);
        let mut pairs = Vec::new();
        let mut raw: std::collections::BTreeMap<&str, Vec<(i64, i64)>> = Default::default();
        for _ in 0..500 {
            // Speed drives the score strongly, friendliness weakly,
            // knowledge not at all.
            let speed = 1 + rng.below(5);
            let friendly = 1 + rng.below(5);
            let knowledge = 1 + rng.below(5);
            let score = (speed + rng.below(3) + i64::from(friendly > 3)).clamp(1, 5);
            pairs.push((Question::Speed, speed, score));
            pairs.push((Question::Friendliness, friendly, score));
            pairs.push((Question::Knowledge, knowledge, score));
            raw.entry("speed").or_default().push((speed, score));
            raw.entry("friendliness")
                .or_default()
                .push((friendly, score));
            raw.entry("knowledge").or_default().push((knowledge, score));
        }
        let found = drivers(&stats_from(&pairs), MIN_COUNT);
        assert_eq!(found[0].question, Question::Speed);
        assert_eq!(found[1].question, Question::Friendliness);
        for d in found.iter().take(3) {
            let (r, slope) = direct(&raw[d.question.as_str()]);
            assert_eq!(d.verdict, Verdict::Measured);
            assert_eq!(d.count, 500);
            assert!((d.correlation.unwrap() - r).abs() < 1e-9, "{d:?} vs {r}");
            assert!((d.slope.unwrap() - slope).abs() < 1e-9, "{d:?} vs {slope}");
            assert!(d.low.unwrap() < r && r < d.high.unwrap());
        }
        // Fisher's interval, by hand for the strongest: tanh(atanh r ± 1.96/√497).
        let r = found[0].correlation.unwrap();
        let half = crate::metrics::Z95 / 497f64.sqrt();
        assert!((found[0].low.unwrap() - (r.atanh() - half).tanh()).abs() < 1e-12);
        // Knowledge was random: its interval straddles zero.
        let k = found
            .iter()
            .find(|d| d.question == Question::Knowledge)
            .unwrap();
        assert!(k.low.unwrap() < 0.0 && k.high.unwrap() > 0.0, "{k:?}");
        // Unasked questions come last, with no figure.
        assert!(
            found[3..]
                .iter()
                .all(|d| d.verdict == Verdict::NotEnoughData
                    && d.count == 0
                    && d.correlation.is_none())
        );
    }

    #[test]
    fn few_answers_or_no_spread_give_no_figure() {
        let few: Vec<_> = (0..29)
            .map(|i| (Question::Resolved, i % 2, 1 + 4 * (i % 2)))
            .collect();
        let d = &drivers(&stats_from(&few), MIN_COUNT)[0];
        assert_eq!(
            (d.question, d.verdict, d.count),
            (Question::Resolved, Verdict::NotEnoughData, 29)
        );
        assert!(d.correlation.is_none() && d.slope.is_none());
        // The same 29, with a lower minimum: a perfect relation, resolved
        // adds four points.
        let d = &drivers(&stats_from(&few), 10)[0];
        assert_eq!(d.verdict, Verdict::Measured);
        assert!(
            (d.correlation.unwrap() - 1.0).abs() < 1e-12 && (d.slope.unwrap() - 4.0).abs() < 1e-12
        );
        let flat: Vec<_> = (0..40).map(|i| (Question::Speed, 3, 1 + i % 5)).collect();
        let d = &drivers(&stats_from(&flat), MIN_COUNT)[0];
        assert_eq!(d.verdict, Verdict::NoVariation);
        assert_eq!(d.mean_answer, Some(3.0));
        let json = serde_json::to_value(d).unwrap();
        assert_eq!(json["question"], "speed");
        assert_eq!(json["verdict"], "no_variation");
        assert!(json["correlation"].is_null());
    }
}
