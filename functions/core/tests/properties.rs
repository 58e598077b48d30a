//! Property tests: rollups merge in any order to the same figures, and those
//! figures equal a direct computation over the raw scores. Validation never
//! panics, whatever it is fed.

use chrono::{DateTime, Duration, Utc};
use feedback_core::metrics::{self, Summary, Waiting};
use feedback_core::model::{Answer, Answers, Expectation, NewInvitation, NewRecipient, Submission};
use feedback_core::time::TenantZone;
use feedback_core::{Code, Response, Rollup, SurveyKind};
use proptest::prelude::*;

fn kind() -> impl Strategy<Value = SurveyKind> {
    prop_oneof![
        Just(SurveyKind::Csat),
        Just(SurveyKind::Nps),
        Just(SurveyKind::Ces)
    ]
}

fn answers() -> impl Strategy<Value = Answers> {
    (
        proptest::option::of(1u8..=5),
        proptest::option::of(1u8..=5),
        proptest::option::of(1u8..=5),
        proptest::option::of(any::<bool>()),
        proptest::option::of(prop_oneof![
            Just(Expectation::Below),
            Just(Expectation::Met),
            Just(Expectation::Exceeded)
        ]),
    )
        .prop_map(
            |(friendliness, speed, knowledge, resolved, expectations)| Answers {
                friendliness,
                speed,
                knowledge,
                resolved,
                expectations,
            },
        )
}

/// A (kind, score, answers) triple with the score on the kind's scale.
fn rating() -> impl Strategy<Value = (SurveyKind, u8, Answers)> {
    kind().prop_flat_map(|k| (Just(k), k.min()..=k.max(), answers()))
}

fn response(kind: SurveyKind, score: u8, answers: Answers) -> Response {
    let zone = TenantZone::parse("tz", "Asia/Karachi").unwrap();
    let now: DateTime<Utc> = "2026-01-01T10:00:00Z".parse().unwrap();
    let invitation = NewInvitation {
        order_id: Some("o-1".into()),
        channel: Some("sms".into()),
        survey: Some(kind.as_str().into()),
        ..Default::default()
    }
    .validate(SurveyKind::Csat)
    .unwrap()
    .issue(Code::generate().unwrap(), now, Duration::days(30), &zone);
    Response::first(
        &invitation,
        Answer {
            score,
            answers,
            comment: None,
        },
        now,
        &zone,
    )
}

fn rollup_of(ratings: &[(SurveyKind, u8, Answers)]) -> Vec<Rollup> {
    ratings
        .iter()
        .map(|&(k, s, a)| Rollup::of_response(&response(k, s, a)))
        .collect()
}

fn merge_all<'a>(rollups: impl IntoIterator<Item = &'a Rollup>) -> Rollup {
    let mut total = Rollup::default();
    for r in rollups {
        total.merge(r);
    }
    total
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn merge_order_does_not_matter(
        ratings in proptest::collection::vec(rating(), 0..200),
        seed in any::<u64>(),
        split in 0usize..200,
    ) {
        let rollups = rollup_of(&ratings);
        let in_order = merge_all(&rollups);

        // A shuffled order (Fisher–Yates from the seed).
        let mut shuffled = rollups.clone();
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let reordered = merge_all(&shuffled);

        // Grouped: days into a "week" and the rest, then weeks together.
        let cut = split.min(rollups.len());
        let mut grouped = merge_all(&rollups[cut..]);
        grouped.merge(&merge_all(&rollups[..cut]));

        prop_assert_eq!(&in_order, &reordered);
        prop_assert_eq!(&in_order, &grouped);
        prop_assert_eq!(Summary::of(&in_order, Waiting::default()), Summary::of(&grouped, Waiting::default()));
    }

    #[test]
    fn metrics_equal_a_direct_computation(ratings in proptest::collection::vec(rating(), 1..300)) {
        let total = merge_all(&rollup_of(&ratings));
        let summary = Summary::of(&total, Waiting::default());
        for k in SurveyKind::ALL {
            let scores: Vec<f64> = ratings.iter().filter(|r| r.0 == k).map(|r| f64::from(r.1)).collect();
            let n = scores.len() as f64;
            let share = |pred: &dyn Fn(f64) -> bool| 100.0 * scores.iter().filter(|&&s| pred(s)).count() as f64 / n;
            let mean = scores.iter().sum::<f64>() / n;
            let sd = if scores.len() < 2 { 0.0 } else {
                (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            };
            match k {
                SurveyKind::Csat => match &summary.csat {
                    None => prop_assert!(scores.is_empty()),
                    Some(c) => {
                        prop_assert_eq!(c.count as f64, n);
                        prop_assert!(close(c.percent, share(&|s| s >= 4.0)));
                        prop_assert!(close(c.top_box, share(&|s| s == 5.0)));
                        prop_assert!(close(c.mean, mean));
                        prop_assert!((c.std_dev - sd).abs() < 1e-6);
                        prop_assert!(c.low <= c.percent + 1e-9 && c.percent <= c.high + 1e-9);
                    }
                },
                SurveyKind::Nps => match &summary.nps {
                    None => prop_assert!(scores.is_empty()),
                    Some(x) => {
                        let (p, d) = (share(&|s| s >= 9.0), share(&|s| s <= 6.0));
                        prop_assert!(close(x.score, p - d));
                        prop_assert!(close(x.passives, share(&|s| s == 7.0 || s == 8.0)));
                        prop_assert!(close(x.promoters + x.passives + x.detractors, 100.0));
                        let (pf, df) = (p / 100.0, d / 100.0);
                        let half = 100.0 * metrics::Z95 * (((pf + df) - (pf - df).powi(2)) / n).max(0.0).sqrt();
                        prop_assert!(close(x.low, (p - d - half).max(-100.0)));
                        prop_assert!(close(x.high, (p - d + half).min(100.0)));
                    }
                },
                SurveyKind::Ces => match &summary.ces {
                    None => prop_assert!(scores.is_empty()),
                    Some(e) => {
                        prop_assert!(close(e.mean, mean));
                        prop_assert!(close(e.agree_percent, share(&|s| s >= 5.0)));
                        prop_assert!(e.low <= e.mean + 1e-9 && e.mean <= e.high + 1e-9);
                    }
                },
            }
        }
    }

    #[test]
    fn rollups_survive_their_storage_names(ratings in proptest::collection::vec(rating(), 0..50), inv in 0i64..1000) {
        let mut total = merge_all(&rollup_of(&ratings));
        total.invitations = inv;
        let mut back = Rollup::default();
        for (name, value) in total.counters() {
            prop_assert!(back.add_counter(&name, value));
        }
        prop_assert_eq!(back, total);
    }

    #[test]
    fn a_revision_delta_turns_one_answer_into_the_other(a in rating(), score in 0u8..=10) {
        let old = response(a.0, a.1, a.2);
        let new = Response { score: score.clamp(a.0.min(), a.0.max()), ..old.clone() };
        let mut stored = Rollup::of_response(&old);
        for inc in feedback_core::rollup::for_revision(&old, &new).iter().take(1) {
            stored.merge(&inc.delta);
        }
        prop_assert_eq!(stored, Rollup::of_response(&new));
    }

    #[test]
    fn submission_validation_never_panics(
        score in proptest::option::of(any::<i64>()),
        q in proptest::option::of(any::<i64>()),
        expectations in proptest::option::of(".*"),
        comment in proptest::option::of(".{0,2100}"),
        k in kind(),
    ) {
        let s = Submission { score, friendliness: q, speed: q, knowledge: q, resolved: None, expectations, comment };
        let _ = s.validate(k);
    }

    #[test]
    fn invitation_validation_never_panics(
        fields in proptest::collection::vec(proptest::option::of(".{0,300}"), 8),
        after in proptest::option::of(proptest::num::i64::ANY),
        also in proptest::option::of(proptest::collection::vec("[a-c]{0,2}|.{0,70}", 0..5)),
    ) {
        let f = |i: usize| fields[i].clone();
        let input = NewInvitation {
            order_id: f(0), rep_id: f(1), also_rep_ids: also, channel: f(2), location: f(3),
            customer_ref: f(4), survey: f(5), locale: f(6),
            recipient: f(7).map(|e| NewRecipient { email: Some(e), phone: f(2) }),
            send_at: f(5), send_after_minutes: after,
        };
        if let Err(errors) = input.validate(SurveyKind::Csat) {
            prop_assert!(!errors.is_empty());
            prop_assert!(errors.iter().all(|e| !e.field.is_empty() && !e.message.is_empty()));
        }
    }

    #[test]
    fn every_instant_lies_inside_its_local_day(
        secs in 0i64..4_102_444_800, // 1970..2100
        zone in prop_oneof![
            Just("UTC"), Just("Asia/Karachi"), Just("Asia/Kolkata"), Just("Europe/London"),
            Just("America/Santiago"), Just("Australia/Lord_Howe"), Just("Pacific/Apia"),
        ],
    ) {
        let zone = TenantZone::parse("tz", zone).unwrap();
        let t = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        let day = zone.day_of(t);
        prop_assert!(zone.start_of(day) <= t);
        prop_assert!(t < zone.start_of(day.succ_opt().unwrap()));
    }
}
