//! Rollups: read in few round trips, surveys and days apart.

use crate::*;

pub async fn four_hundred_days_of_rollups_in_few_round_trips(f: &Fixture) {
    let start = t("2025-01-01T08:00:00Z");
    let mut tasks = tokio::task::JoinSet::new();
    for d in 0..400i64 {
        let at = start + Duration::days(d);
        let inv = f.invitation(Invite {
            order: &format!("d-{d}"),
            at,
            ..Invite::default()
        });
        let store = Arc::clone(&f.store);
        let mut response = f.answer(&inv, 1 + (d % 5) as u8, Some("x"), at);
        response.answers.friendliness = Some(5);
        response.answers.knowledge = Some(4);
        response.answers.resolved = Some(true);
        tasks.spawn(async move {
            store.create_invitation(&inv, None).await.unwrap();
            store
                .record_response(&response, at, &rules(), &[])
                .await
                .unwrap();
        });
        if tasks.len() >= 8 {
            tasks.join_next().await.unwrap().unwrap();
        }
    }
    tasks.join_all().await;
    f.settle().await;
    let slice = Slice::Rep(RepId::parse("r", "ayesha").unwrap());
    let (from, to) = (day("2025-01-01"), day("2026-02-04"));
    let before = f.dynamo.as_ref().map(DynamoStore::requests_sent);
    let days = f
        .store
        .read_rollups(&slice, from, to, Detail::WithQuestions)
        .await
        .unwrap();
    if let (Some(dynamo), Some(before)) = (&f.dynamo, before) {
        let trips = dynamo.requests_sent() - before;
        println!("400 days of rollups read in {trips} DynamoDB round trip(s)");
        assert!(trips <= 2, "{trips} round trips");
    }
    // The figures alone are the same figures, in one round trip.
    let before = f.dynamo.as_ref().map(DynamoStore::requests_sent);
    let figures = f
        .store
        .read_rollups(&slice, from, to, Detail::Figures)
        .await
        .unwrap();
    if let (Some(dynamo), Some(before)) = (&f.dynamo, before) {
        assert_eq!(dynamo.requests_sent() - before, 1);
    }
    assert_eq!(figures.len(), days.len());
    for ((d1, with), (d2, without)) in days.iter().zip(&figures) {
        assert_eq!(d1, d2);
        let mut without_moments = *with;
        without_moments.csat.questions = without.csat.questions;
        assert_eq!(&without_moments, without);
    }
    assert_eq!(days.len(), 400);
    assert!(days.windows(2).all(|w| w[0].0 < w[1].0));
    let mut total = Rollup::default();
    for (_, r) in &days {
        assert_eq!((r.invitations, r.answered, r.csat.count), (1, 1, 1));
        total.merge(r);
    }
    assert_eq!(total.csat.sum, (0..400).map(|d| 1 + d % 5).sum::<i64>());
    assert_eq!(total.csat.questions.friendliness.n, 400);
    // A range inside the data returns exactly its days.
    let march = f
        .store
        .read_rollups(
            &slice,
            day("2025-03-01"),
            day("2025-03-31"),
            Detail::Figures,
        )
        .await
        .unwrap();
    assert_eq!(march.len(), 31);
}

pub async fn surveys_and_days_are_kept_apart(f: &Fixture) {
    // An NPS invitation late in the evening: its local day is the next.
    let at = t("2026-03-10T20:30:00Z");
    let inv = f
        .invite(Invite {
            survey: SurveyKind::Nps,
            rep: None,
            location: None,
            at,
            ..Invite::default()
        })
        .await;
    assert_eq!(inv.day, day("2026-03-11"));
    let answered = at + Duration::days(2);
    f.store
        .record_response(&f.answer(&inv, 9, None, answered), answered, &rules(), &[])
        .await
        .unwrap();
    let invite_day = f.rollup(&Slice::All, "2026-03-11", "2026-03-11").await;
    assert_eq!(
        (
            invite_day.invitations,
            invite_day.answered,
            invite_day.nps.count
        ),
        (1, 1, 0)
    );
    let answer_day = f.rollup(&Slice::All, "2026-03-13", "2026-03-13").await;
    assert_eq!(
        (
            answer_day.nps.count,
            answer_day.nps.hist[9],
            answer_day.csat.count
        ),
        (1, 1, 0)
    );
    assert!(
        f.rollup(
            &Slice::Rep(RepId::parse("r", "ayesha").unwrap()),
            "2026-03-01",
            "2026-03-31"
        )
        .await
        .is_zero()
    );
}
