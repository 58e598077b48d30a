//! SqliteStore: recording a response (one transaction with its rollups) and
//! reading a year of one slice's daily rollups.

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use feedback_core::model::{Answer, Answers, Expectation, NewInvitation};
use feedback_core::time::TenantZone;
use feedback_core::{Code, Invitation, Response, Slice, SurveyKind};
use feedback_store::{Detail, InvitationStore, ResponseStore, RollupStore, SqliteStore};

fn invitation(zone: &TenantZone, order: usize, at: DateTime<Utc>) -> Invitation {
    NewInvitation {
        order_id: Some(format!("bench-{order}")),
        rep_id: Some("ayesha".into()),
        channel: Some("receipt".into()),
        location: Some("gulberg".into()),
        ..Default::default()
    }
    .validate(SurveyKind::Csat)
    .unwrap()
    .issue(Code::generate().unwrap(), at, Duration::days(30), zone)
}

fn response(zone: &TenantZone, inv: &Invitation, at: DateTime<Utc>, score: u8) -> Response {
    let answers = Answers {
        friendliness: Some(5),
        speed: Some(4),
        knowledge: Some(4),
        resolved: Some(true),
        expectations: Some(Expectation::Met),
    };
    Response::first(
        inv,
        Answer {
            score,
            answers,
            comment: Some("بہت اچھا".into()),
        },
        at,
        zone,
    )
}

fn sqlite(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("bench.db")).unwrap();
    let zone = TenantZone::parse("tz", "Asia/Karachi").unwrap();
    let rules = feedback_core::Settings::defaults("bench").submit_rules();
    let start: DateTime<Utc> = "2025-01-01T09:00:00Z".parse().unwrap();

    // A year with a response every day, for the read benchmark.
    rt.block_on(async {
        for d in 0..365 {
            let at = start + Duration::days(d);
            let inv = invitation(&zone, d as usize, at);
            store.create_invitation(&inv, None).await.unwrap();
            store
                .record_response(&response(&zone, &inv, at, 4), at, &rules, &[])
                .await
                .unwrap();
        }
    });

    let mut order = 1_000;
    c.bench_function("sqlite record a response", |b| {
        // Each iteration answers a fresh invitation, created in the untimed setup.
        b.iter_batched(
            || {
                order += 1;
                let at = start + Duration::minutes(order as i64);
                let inv = invitation(&zone, order, at);
                rt.block_on(store.create_invitation(&inv, None)).unwrap();
                (response(&zone, &inv, at, 5), at)
            },
            |(r, at)| {
                rt.block_on(store.record_response(&r, at, &rules, &[]))
                    .unwrap()
            },
            criterion::BatchSize::SmallInput,
        )
    });

    let slice = Slice::Rep("ayesha".to_owned().try_into().unwrap());
    c.bench_function("sqlite read 365 days of rollups", |b| {
        b.to_async(&rt).iter(|| async {
            let days = store
                .read_rollups(
                    &slice,
                    "2025-01-01".parse().unwrap(),
                    "2025-12-31".parse().unwrap(),
                    Detail::Figures,
                )
                .await
                .unwrap();
            assert_eq!(days.len(), 365);
            days
        })
    });
}

criterion_group!(benches, sqlite);
criterion_main!(benches);
