//! Score metrics, exactly as the design defines them, computed from rollups.
//!
//! - CSAT (1–5): percent = share of 4 and 5; top box = share of 5.
//! - NPS (0–10): promoters 9–10, passives 7–8, detractors 0–6; score = %P − %D.
//! - CES (1–7): mean, and agree = share of 5–7.
//!
//! Every figure comes with its count and a 95% interval: Wilson for
//! proportions, the normal interval from the trinomial variance for NPS, and
//! the normal interval of the mean for CES. Percentages are 0–100.

use crate::followup::{FollowUpStats, TIME_BUCKETS, TIME_EDGES_MINUTES};
use crate::rollup::{Rollup, ScoreStats};
use crate::survey::SurveyKind;
use serde::Serialize;

/// The 97.5th percentile of the standard normal distribution.
pub const Z95: f64 = 1.959_963_984_540_054;

/// How many ratings at the tenant's average a rep's fair score starts from.
/// Ten keeps two lucky 5s from outranking two hundred ratings at 4.8, yet
/// lets a rep with fifty ratings be judged mostly on their own.
pub const PRIOR_WEIGHT: f64 = 10.0;

/// Figures go on the wire with two decimals: more is noise at any count a
/// business has, and exact values stay available to Rust callers.
fn round2<S: serde::Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64((value * 100.0).round() / 100.0)
}

fn round2_opt<S: serde::Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => round2(v, serializer),
        None => serializer.serialize_none(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    #[serde(serialize_with = "round2")]
    pub low: f64,
    #[serde(serialize_with = "round2")]
    pub high: f64,
}

/// Wilson score interval of a proportion, as fractions 0–1.
pub fn wilson(successes: i64, n: i64) -> Option<Interval> {
    if n <= 0 {
        return None;
    }
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).max(0.0).sqrt() / denom;
    // At p = 0 or 1 the bound on that side is exactly 0 or 1; rounding
    // would otherwise leave 0.9999999999999999.
    let low = if successes <= 0 {
        0.0
    } else {
        (center - half).max(0.0)
    };
    let high = if successes as f64 >= n {
        1.0
    } else {
        (center + half).min(1.0)
    };
    Some(Interval { low, high })
}

fn percent(part: i64, n: i64) -> f64 {
    100.0 * part as f64 / n as f64
}

fn mean(stats: &ScoreStats) -> f64 {
    stats.sum as f64 / stats.count as f64
}

/// Sample standard deviation of the scores (0 for fewer than two).
fn std_dev(stats: &ScoreStats) -> f64 {
    let n = stats.count as f64;
    if stats.count < 2 {
        return 0.0;
    }
    let var = (stats.sum_sq as f64 - (stats.sum as f64).powi(2) / n) / (n - 1.0);
    var.max(0.0).sqrt()
}

/// Counts of each score on the kind's scale, lowest first.
fn histogram(kind: SurveyKind, stats: &ScoreStats) -> Vec<i64> {
    stats.hist[usize::from(kind.min())..=usize::from(kind.max())].to_vec()
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Csat {
    pub count: i64,
    /// Share of 4 and 5.
    #[serde(serialize_with = "round2")]
    pub percent: f64,
    /// Share of 5: delight, not just satisfaction.
    #[serde(serialize_with = "round2")]
    pub top_box: f64,
    #[serde(serialize_with = "round2")]
    pub mean: f64,
    #[serde(serialize_with = "round2")]
    pub std_dev: f64,
    /// 95% Wilson interval of `percent`.
    #[serde(serialize_with = "round2")]
    pub low: f64,
    #[serde(serialize_with = "round2")]
    pub high: f64,
    /// Responses per score, 1 to 5.
    pub histogram: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Nps {
    pub count: i64,
    /// %promoters − %detractors, −100 to 100.
    #[serde(serialize_with = "round2")]
    pub score: f64,
    /// Shares, 0–100.
    #[serde(serialize_with = "round2")]
    pub promoters: f64,
    #[serde(serialize_with = "round2")]
    pub passives: f64,
    #[serde(serialize_with = "round2")]
    pub detractors: f64,
    /// 95% normal interval of `score` from the trinomial variance.
    #[serde(serialize_with = "round2")]
    pub low: f64,
    #[serde(serialize_with = "round2")]
    pub high: f64,
    #[serde(serialize_with = "round2")]
    pub mean: f64,
    #[serde(serialize_with = "round2")]
    pub std_dev: f64,
    /// Responses per score, 0 to 10.
    pub histogram: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ces {
    pub count: i64,
    #[serde(serialize_with = "round2")]
    pub mean: f64,
    /// Share of 5–7 ("agree it was easy").
    #[serde(serialize_with = "round2")]
    pub agree_percent: f64,
    #[serde(serialize_with = "round2")]
    pub std_dev: f64,
    /// 95% normal interval of `mean`.
    #[serde(serialize_with = "round2")]
    pub low: f64,
    #[serde(serialize_with = "round2")]
    pub high: f64,
    /// Responses per score, 1 to 7.
    pub histogram: Vec<i64>,
}

pub fn csat(stats: &ScoreStats) -> Option<Csat> {
    let n = stats.count;
    if n <= 0 {
        return None;
    }
    let satisfied = stats.count_in(4..=5);
    let interval = wilson(satisfied, n)?;
    Some(Csat {
        count: n,
        percent: percent(satisfied, n),
        top_box: percent(stats.hist[5], n),
        mean: mean(stats),
        std_dev: std_dev(stats),
        low: 100.0 * interval.low,
        high: 100.0 * interval.high,
        histogram: histogram(SurveyKind::Csat, stats),
    })
}

pub fn nps(stats: &ScoreStats) -> Option<Nps> {
    let n = stats.count;
    if n <= 0 {
        return None;
    }
    let promoters = stats.count_in(9..=10);
    let passives = stats.count_in(7..=8);
    let detractors = stats.count_in(0..=6);
    let (p, d) = (promoters as f64 / n as f64, detractors as f64 / n as f64);
    let score = p - d;
    let variance = ((p + d) - score * score) / n as f64;
    let half = Z95 * variance.max(0.0).sqrt();
    Some(Nps {
        count: n,
        score: 100.0 * score,
        promoters: percent(promoters, n),
        passives: percent(passives, n),
        detractors: percent(detractors, n),
        low: (100.0 * (score - half)).max(-100.0),
        high: (100.0 * (score + half)).min(100.0),
        mean: mean(stats),
        std_dev: std_dev(stats),
        histogram: histogram(SurveyKind::Nps, stats),
    })
}

pub fn ces(stats: &ScoreStats) -> Option<Ces> {
    let n = stats.count;
    if n <= 0 {
        return None;
    }
    let m = mean(stats);
    let sd = std_dev(stats);
    let half = Z95 * sd / (n as f64).sqrt();
    Some(Ces {
        count: n,
        mean: m,
        agree_percent: percent(stats.count_in(5..=7), n),
        std_dev: sd,
        low: (m - half).max(1.0),
        high: (m + half).min(7.0),
        histogram: histogram(SurveyKind::Ces, stats),
    })
}

/// Every figure of a rollup: per kind with data, plus invitations and the
/// response rate (answered / invited, by invitation day).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub responses: i64,
    /// Responses held back for review (a burst), in no other figure.
    pub flagged: i64,
    pub invitations: i64,
    /// Of the invitations, those the product sent.
    pub sent: i64,
    /// Of the invitations, those the product was to send and never will
    /// (refused, opted out, cancelled unanswered): the rate leaves them out.
    pub not_sent: i64,
    pub answered: i64,
    /// Percent of the period's invitations that were answered, never-sent
    /// ones left out; `None` without invitations.
    #[serde(serialize_with = "round2_opt")]
    pub response_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat: Option<Csat>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<Nps>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ces: Option<Ces>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUps>,
}

impl Summary {
    /// Every figure of `rollup`; `waiting` are the period's follow-ups
    /// still awaiting first contact, split by whether they are due (which
    /// the rollups alone cannot know: time makes them due, not a write).
    pub fn of(rollup: &Rollup, waiting: Waiting) -> Summary {
        Summary {
            responses: rollup.responses(),
            flagged: rollup.flagged,
            invitations: rollup.invitations,
            sent: rollup.sent,
            not_sent: rollup.unsent,
            answered: rollup.answered,
            response_rate: response_rate(rollup).map(|r| r.value),
            csat: csat(&rollup.csat),
            nps: nps(&rollup.nps),
            ces: ces(&rollup.ces),
            follow_up: follow_ups(&rollup.follow_up, waiting),
        }
    }
}

/// Follow-ups awaiting first contact now: how many from the rollups,
/// which of them are still inside their SLA from the open queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Still inside their SLA.
    pub not_due: i64,
    /// Past their SLA.
    pub overdue: i64,
}

/// How fast unhappy customers were answered.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = FollowUpFigures)]
pub struct FollowUps {
    pub opened: i64,
    pub contacted: i64,
    pub resolved: i64,
    /// Awaiting first contact, inside their SLA.
    pub waiting: i64,
    /// Awaiting first contact, past their SLA.
    pub overdue_now: i64,
    /// Share first contacted within the SLA, of those whose SLA has run
    /// out or who were contacted (ones still inside it are not judged yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within_sla: Option<Share>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_first_contact: Option<Durations>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_resolution: Option<Durations>,
}

/// A proportion in percent with its 95% Wilson interval.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Share {
    pub count: i64,
    #[serde(serialize_with = "round2")]
    pub percent: f64,
    #[serde(serialize_with = "round2")]
    pub low: f64,
    #[serde(serialize_with = "round2")]
    pub high: f64,
}

fn share(part: i64, n: i64) -> Option<Share> {
    let e = percent_estimate(part, n)?;
    Some(Share {
        count: n,
        percent: e.value,
        low: e.low,
        high: e.high,
    })
}

/// Median and 90th percentile of durations, in hours, estimated from the
/// rollups' histogram (linear inside a bucket; the open-ended last bucket,
/// over 30 days, reads as 30 days).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Durations {
    pub count: i64,
    #[serde(serialize_with = "round2")]
    pub median_hours: f64,
    #[serde(serialize_with = "round2")]
    pub p90_hours: f64,
}

/// The `q` quantile (0–1) of a time histogram, in minutes.
pub fn time_quantile(hist: &[i64; TIME_BUCKETS], q: f64) -> Option<f64> {
    let n: i64 = hist.iter().sum();
    if n <= 0 {
        return None;
    }
    let rank = q * n as f64;
    let mut below = 0.0;
    for (i, &count) in hist.iter().enumerate() {
        let count = count as f64;
        if count > 0.0 && below + count >= rank {
            let low = if i == 0 {
                0.0
            } else {
                TIME_EDGES_MINUTES[i - 1] as f64
            };
            let Some(&high) = TIME_EDGES_MINUTES.get(i) else {
                return Some(low);
            };
            return Some(low + (high as f64 - low) * ((rank - below) / count).clamp(0.0, 1.0));
        }
        below += count;
    }
    None
}

fn durations(hist: &[i64; TIME_BUCKETS]) -> Option<Durations> {
    Some(Durations {
        count: hist.iter().sum(),
        median_hours: time_quantile(hist, 0.5)? / 60.0,
        p90_hours: time_quantile(hist, 0.9)? / 60.0,
    })
}

pub fn follow_ups(stats: &FollowUpStats, waiting: Waiting) -> Option<FollowUps> {
    (stats.opened > 0).then(|| FollowUps {
        opened: stats.opened,
        contacted: stats.contacted,
        resolved: stats.resolved,
        waiting: waiting.not_due,
        overdue_now: waiting.overdue,
        within_sla: share(stats.contacted_in_sla, stats.opened - waiting.not_due),
        time_to_first_contact: durations(&stats.to_contact),
        time_to_resolution: durations(&stats.to_resolve),
    })
}

/// The per-response value that a kind's headline figure averages: the score
/// itself for CSAT and CES; +100 / 0 / −100 for NPS, whose mean is the NPS.
fn headline_sum(kind: SurveyKind, stats: &ScoreStats) -> f64 {
    match kind {
        SurveyKind::Csat | SurveyKind::Ces => stats.sum as f64,
        SurveyKind::Nps => 100.0 * (stats.count_in(9..=10) - stats.count_in(0..=6)) as f64,
    }
}

/// The headline figure a leaderboard shows: mean score (CSAT, CES) or NPS.
pub fn headline(kind: SurveyKind, stats: &ScoreStats) -> Option<f64> {
    (stats.count > 0).then(|| headline_sum(kind, stats) / stats.count as f64)
}

/// A fair ranking score: the headline figure shrunk toward the tenant's
/// (a Bayesian average with [`PRIOR_WEIGHT`] pseudo-ratings at the tenant
/// mean), so that few ratings cannot outrank many good ones by luck.
pub fn fair_score(kind: SurveyKind, rep: &ScoreStats, tenant: &ScoreStats) -> Option<f64> {
    if rep.count <= 0 {
        return None;
    }
    let prior = headline(kind, tenant).unwrap_or_else(|| headline(kind, rep).unwrap_or(0.0));
    Some((PRIOR_WEIGHT * prior + headline_sum(kind, rep)) / (PRIOR_WEIGHT + rep.count as f64))
}

/// A figure with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Estimate {
    #[serde(serialize_with = "round2")]
    pub value: f64,
    #[serde(serialize_with = "round2")]
    pub low: f64,
    #[serde(serialize_with = "round2")]
    pub high: f64,
}

impl Estimate {
    pub fn width(&self) -> f64 {
        self.high - self.low
    }
}

/// A share in percent with its Wilson interval.
fn percent_estimate(part: i64, n: i64) -> Option<Estimate> {
    let i = wilson(part, n)?;
    Some(Estimate {
        value: percent(part, n),
        low: 100.0 * i.low,
        high: 100.0 * i.high,
    })
}

/// How a figure moved from one period to another: the difference and its
/// 95% interval by the MOVER method (Newcombe's for two proportions, Zou and
/// Donner's in general), which combines each side's own interval and so
/// stays honest where a Wilson interval is lopsided near 0 or 100%.
/// `significant`: the interval excludes zero, so the change lies outside
/// what chance alone would explain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    #[serde(serialize_with = "round2")]
    pub previous: f64,
    #[serde(serialize_with = "round2")]
    pub delta: f64,
    #[serde(serialize_with = "round2")]
    pub low: f64,
    #[serde(serialize_with = "round2")]
    pub high: f64,
    pub significant: bool,
}

impl Change {
    pub fn between(now: Estimate, before: Estimate) -> Change {
        let delta = now.value - before.value;
        let low = delta - (now.value - now.low).hypot(before.high - before.value);
        let high = delta + (now.high - now.value).hypot(before.value - before.low);
        Change {
            previous: before.value,
            delta,
            low,
            high,
            significant: low > 0.0 || high < 0.0,
        }
    }

    fn of(now: Option<Estimate>, before: Option<Estimate>) -> Option<Change> {
        Some(Change::between(now?, before?))
    }
}

/// The headline figures of two periods compared; a figure either period
/// lacks is left out.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Changes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat_percent: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csat_top_box: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ces: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_rate: Option<Change>,
}

/// Estimates of a rollup's headline figures, in [`Changes`]' order.
fn estimates(r: &Rollup) -> [Option<Estimate>; 5] {
    [
        csat(&r.csat).map(|c| Estimate {
            value: c.percent,
            low: c.low,
            high: c.high,
        }),
        percent_estimate(r.csat.hist[5], r.csat.count),
        nps(&r.nps).map(|n| Estimate {
            value: n.score,
            low: n.low,
            high: n.high,
        }),
        ces(&r.ces).map(|e| Estimate {
            value: e.mean,
            low: e.low,
            high: e.high,
        }),
        response_rate(r),
    ]
}

/// Percent of `r`'s invitations answered, with its interval. Invitations
/// the product was to send and never did reached no one: they are left
/// out (and one answered anyway, through a link from elsewhere, counts no
/// more than the rest).
pub fn response_rate(r: &Rollup) -> Option<Estimate> {
    let reached = r.invitations - r.unsent;
    percent_estimate(r.answered.min(reached), reached)
}

impl Changes {
    pub fn between(now: &Rollup, before: &Rollup) -> Changes {
        let [c, t, n, e, r] = estimates(now);
        let [c0, t0, n0, e0, r0] = estimates(before);
        Changes {
            csat_percent: Change::of(c, c0),
            csat_top_box: Change::of(t, t0),
            nps: Change::of(n, n0),
            ces: Change::of(e, e0),
            response_rate: Change::of(r, r0),
        }
    }
}

/// The leaderboard's headline figure with its interval: the mean score with
/// the normal interval (CSAT, CES), or the NPS with its own. `None` below
/// two ratings, where no interval exists.
pub fn headline_estimate(kind: SurveyKind, stats: &ScoreStats) -> Option<Estimate> {
    if stats.count < 2 {
        return None;
    }
    let normal = |mean: f64, sd: f64| {
        let half = Z95 * sd / (stats.count as f64).sqrt();
        Estimate {
            value: mean,
            low: (mean - half).max(f64::from(kind.min())),
            high: (mean + half).min(f64::from(kind.max())),
        }
    };
    match kind {
        SurveyKind::Csat => csat(stats).map(|c| normal(c.mean, c.std_dev)),
        SurveyKind::Ces => ces(stats).map(|e| normal(e.mean, e.std_dev)),
        SurveyKind::Nps => nps(stats).map(|n| Estimate {
            value: n.score,
            low: n.low,
            high: n.high,
        }),
    }
}

/// A rep is ranked only when their headline interval is at most this share
/// of the scale (1 point of CSAT's 1–5, 50 NPS points, 1.5 CES points):
/// wider, and their place would be mostly chance.
pub const MAX_RANK_WIDTH: f64 = 0.25;

/// Whether `estimate` of a `kind` headline is too uncertain to rank.
pub fn too_wide_to_rank(kind: SurveyKind, estimate: Option<&Estimate>) -> bool {
    let span = match kind {
        SurveyKind::Nps => 200.0,
        _ => f64::from(kind.max() - kind.min()),
    };
    estimate.is_none_or(|e| e.width() > MAX_RANK_WIDTH * span)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats_of(kind: SurveyKind, scores: &[u8]) -> ScoreStats {
        let _ = kind;
        let mut s = ScoreStats::default();
        for &x in scores {
            s.count += 1;
            s.sum += i64::from(x);
            s.sum_sq += i64::from(x) * i64::from(x);
            s.hist[usize::from(x)] += 1;
        }
        s
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn wilson_matches_published_values() {
        // 8 of 10: the textbook Wilson interval is 0.4902 to 0.9433.
        let i = wilson(8, 10).unwrap();
        assert!(
            (i.low - 0.4902).abs() < 1e-4 && (i.high - 0.9433).abs() < 1e-4,
            "{i:?}"
        );
        let all = wilson(10, 10).unwrap();
        assert_eq!(all.high, 1.0);
        assert!(all.low > 0.72 && all.low < 0.73);
        assert!(wilson(0, 0).is_none());
    }

    #[test]
    fn csat_counts_four_and_five() {
        let c = csat(&stats_of(SurveyKind::Csat, &[5, 5, 4, 3, 1])).unwrap();
        assert!(close(c.percent, 60.0) && close(c.top_box, 40.0) && close(c.mean, 3.6));
        assert_eq!(c.histogram, [1, 0, 1, 1, 2]);
        assert!(c.low < 60.0 && c.high > 60.0);
        assert!(csat(&ScoreStats::default()).is_none());
    }

    #[test]
    fn nps_is_promoters_minus_detractors() {
        // 5 promoters, 3 passives, 2 detractors: NPS 30.
        let n = nps(&stats_of(
            SurveyKind::Nps,
            &[10, 10, 9, 9, 9, 8, 7, 7, 6, 0],
        ))
        .unwrap();
        assert!(close(n.score, 30.0) && close(n.promoters, 50.0) && close(n.detractors, 20.0));
        // variance = ((0.5 + 0.2) - 0.3²) / 10 = 0.061
        let half = 100.0 * Z95 * 0.061f64.sqrt();
        assert!(close(n.low, 30.0 - half) && close(n.high, 30.0 + half));
        let all_promoters = nps(&stats_of(SurveyKind::Nps, &[10; 4])).unwrap();
        assert!(close(all_promoters.score, 100.0) && close(all_promoters.high, 100.0));
    }

    #[test]
    fn ces_mean_and_agreement() {
        let e = ces(&stats_of(SurveyKind::Ces, &[7, 6, 5, 2])).unwrap();
        assert!(close(e.mean, 5.0) && close(e.agree_percent, 75.0));
        assert!(e.low >= 1.0 && e.high <= 7.0 && e.low < 5.0);
        assert_eq!(e.histogram.len(), 7);
    }

    #[test]
    fn two_lucky_fives_do_not_beat_two_hundred_ratings_at_four_point_eight() {
        let mut many = vec![5u8; 160];
        many.extend([4u8; 40]); // mean 4.8
        let many = stats_of(SurveyKind::Csat, &many);
        let lucky = stats_of(SurveyKind::Csat, &[5, 5]);
        let mut tenant = many;
        tenant.count += lucky.count;
        tenant.sum += lucky.sum;
        tenant.sum_sq += lucky.sum_sq;
        let mixed = stats_of(SurveyKind::Csat, &[3; 100]);
        tenant.count += mixed.count;
        tenant.sum += mixed.sum;
        let f_many = fair_score(SurveyKind::Csat, &many, &tenant).unwrap();
        let f_lucky = fair_score(SurveyKind::Csat, &lucky, &tenant).unwrap();
        assert!(f_many > f_lucky, "{f_many} vs {f_lucky}");
        assert!(fair_score(SurveyKind::Csat, &ScoreStats::default(), &tenant).is_none());
    }

    #[test]
    fn figures_are_rounded_on_the_wire_only() {
        let c = csat(&stats_of(SurveyKind::Csat, &[5, 4, 1])).unwrap();
        assert!((c.percent - 200.0 / 3.0).abs() < 1e-12);
        let wire = serde_json::to_value(&c).unwrap();
        assert_eq!(wire["percent"], 66.67);
        assert_eq!(wire["mean"], 3.33);
    }

    #[test]
    fn response_rate_is_answered_over_invited() {
        let r = Rollup {
            invitations: 8,
            answered: 2,
            ..Rollup::default()
        };
        assert_eq!(
            Summary::of(&r, Waiting::default()).response_rate,
            Some(25.0)
        );
        assert_eq!(
            Summary::of(&Rollup::default(), Waiting::default()).response_rate,
            None
        );
    }

    #[test]
    fn follow_up_figures_from_the_histogram() {
        use crate::followup::FollowUpStats;
        let mut stats = FollowUpStats {
            opened: 10,
            contacted: 8,
            contacted_in_sla: 6,
            resolved: 4,
            ..Default::default()
        };
        // 8 first contacts: 4 within 15 minutes, 4 between 24 and 48 hours.
        stats.to_contact[0] = 4;
        stats.to_contact[8] = 4;
        let waiting = Waiting {
            not_due: 1,
            overdue: 1,
        };
        let f = follow_ups(&stats, waiting).unwrap();
        let contact = f.time_to_first_contact.unwrap();
        assert_eq!(contact.count, 8);
        assert!((contact.median_hours - 0.25).abs() < 1e-9, "{contact:?}");
        // rank 7.2 of 8: 3.2 of the 4 in (24 h, 48 h] → 24 + 0.8 × 24.
        assert!((contact.p90_hours - 43.2).abs() < 1e-9, "{contact:?}");
        let sla = f.within_sla.unwrap();
        assert_eq!(sla.count, 9, "the one still inside its SLA is not judged");
        assert!((sla.percent - 600.0 / 9.0).abs() < 1e-9);
        assert!(sla.low < sla.percent && sla.percent < sla.high);
        assert!(f.time_to_resolution.is_none());
        assert_eq!((f.waiting, f.overdue_now), (1, 1));
        assert!(follow_ups(&FollowUpStats::default(), waiting).is_none());
        let mut far = [0; crate::followup::TIME_BUCKETS];
        far[crate::followup::TIME_BUCKETS - 1] = 1;
        assert_eq!(time_quantile(&far, 0.5), Some(30.0 * 24.0 * 60.0));
    }

    #[test]
    fn changes_are_significant_only_outside_the_intervals() {
        let big = |n: i64, sat: i64| Rollup {
            csat: stats_of(
                SurveyKind::Csat,
                &[vec![5u8; sat as usize], vec![2u8; (n - sat) as usize]].concat(),
            ),
            ..Rollup::default()
        };
        // 90% of 400 against 70% of 400: far outside chance.
        let c = Changes::between(&big(400, 360), &big(400, 280));
        let csat = c.csat_percent.unwrap();
        assert!(close(csat.delta, 20.0) && close(csat.previous, 70.0));
        assert!(csat.significant && csat.low > 0.0 && csat.high > csat.low);
        // 9 of 10 against 7 of 10: the same 20 points, but well within chance.
        let small = Changes::between(&big(10, 9), &big(10, 7))
            .csat_percent
            .unwrap();
        assert!(!small.significant && small.low < 0.0 && small.high > 0.0);
        // Nothing to compare: left out.
        let none = Changes::between(&big(10, 9), &Rollup::default());
        assert!(none.csat_percent.is_none() && none.nps.is_none());
        // For two proportions the MOVER interval is Newcombe's hybrid score
        // interval: 56/70 against 48/80 (Newcombe 1998, table II: 0.0524 to 0.3339).
        let n = Change::between(
            percent_estimate(56, 70).unwrap(),
            percent_estimate(48, 80).unwrap(),
        );
        assert!(
            (n.low - 5.24).abs() < 0.01 && (n.high - 33.39).abs() < 0.01,
            "{n:?}"
        );
    }

    #[test]
    fn wide_intervals_are_not_ranked() {
        let few = stats_of(SurveyKind::Csat, &[5, 1, 5, 2]);
        let many = stats_of(SurveyKind::Csat, &[vec![5u8; 80], vec![4u8; 20]].concat());
        let e_few = headline_estimate(SurveyKind::Csat, &few);
        let e_many = headline_estimate(SurveyKind::Csat, &many);
        assert!(too_wide_to_rank(SurveyKind::Csat, e_few.as_ref()));
        assert!(!too_wide_to_rank(SurveyKind::Csat, e_many.as_ref()));
        assert!(close(e_many.unwrap().value, 4.8));
        let one = stats_of(SurveyKind::Csat, &[5]);
        assert!(too_wide_to_rank(
            SurveyKind::Csat,
            headline_estimate(SurveyKind::Csat, &one).as_ref()
        ));
    }
}
