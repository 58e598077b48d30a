//! Responses: counted once, edited inside the window, paged, kept exactly.

use crate::*;

pub async fn a_duplicate_submit_counts_once(f: &Fixture) {
    let inv = f.invite(Invite::default()).await;
    let at = t(T0) + Duration::hours(1);
    let response = f.answer(&inv, 4, Some("good"), at);
    let first = f
        .store
        .record_response(&response, at, &rules(), &[])
        .await
        .unwrap();
    assert_eq!(first, Recorded::Created(response.clone()));
    let retry = f
        .store
        .record_response(&response, at + Duration::seconds(2), &rules(), &[])
        .await
        .unwrap();
    assert_eq!(retry, Recorded::Unchanged(response.clone()));
    for slice in [
        Slice::All,
        Slice::Rep(RepId::parse("r", "ayesha").unwrap()),
        Slice::Channel(Channel::Sms),
        Slice::Location(LocationId::parse("l", "gulberg").unwrap()),
    ] {
        let r = f.rollup(&slice, "2026-03-01", "2026-03-31").await;
        assert_eq!(
            (r.csat.count, r.csat.hist[4], r.answered, r.invitations),
            (1, 1, 1, 1),
            "{slice:?}"
        );
        assert_eq!(r.csat.questions.speed.n, 1);
    }
    assert_eq!(
        f.store.get_response(&inv.code).await.unwrap(),
        Some(response)
    );
}

pub async fn fifty_concurrent_submits_for_one_code_count_once(f: &Fixture) {
    let inv = f.invite(Invite::default()).await;
    let at = t(T0) + Duration::minutes(5);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..50u8 {
        let store = Arc::clone(&f.store);
        // Different answers too: some are edits racing each other.
        let response = f.answer(&inv, 1 + i % 5, None, at);
        tasks.spawn(async move { store.record_response(&response, at, &rules(), &[]).await });
    }
    let results = tasks.join_all().await;
    let created = results
        .iter()
        .filter(|r| matches!(r, Ok(Recorded::Created(_))))
        .count();
    assert_eq!(created, 1, "{results:?}");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let stored = f.store.get_response(&inv.code).await.unwrap().unwrap();
    let listed = f.all_responses(&ResponseFilter::default(), 100).await;
    assert_eq!(listed, std::slice::from_ref(&stored));
    let r = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!(
        (r.csat.count, r.answered, r.csat.sum),
        (1, 1, i64::from(stored.score))
    );
    assert_eq!(r.csat.hist.iter().sum::<i64>(), 1);
    assert_eq!(r.csat.hist[usize::from(stored.score)], 1);
}

pub async fn an_edit_moves_the_histogram_and_the_window_closes(f: &Fixture) {
    let inv = f.invite(Invite::default()).await;
    let at = t(T0) + Duration::hours(2);
    f.store
        .record_response(&f.answer(&inv, 2, Some("slow"), at), at, &rules(), &[])
        .await
        .unwrap();
    let later = at + Duration::hours(3);
    let edited = f
        .store
        .record_response(&f.answer(&inv, 5, None, later), later, &rules(), &[])
        .await
        .unwrap();
    let Recorded::Replaced { previous, current } = edited else {
        panic!("{edited:?}")
    };
    assert_eq!((previous.score, current.score, current.revision), (2, 5, 2));
    assert_eq!(
        (
            current.submitted_at,
            current.edited_at,
            current.comment.as_deref()
        ),
        (at, Some(later), None)
    );
    let r = f
        .rollup(
            &Slice::Rep(RepId::parse("r", "ayesha").unwrap()),
            "2026-03-10",
            "2026-03-10",
        )
        .await;
    assert_eq!(
        (
            r.csat.count,
            r.csat.hist[2],
            r.csat.hist[5],
            r.csat.sum,
            r.answered
        ),
        (1, 0, 1, 5, 1)
    );
    // After the window: refused, and nothing moves.
    let closed = at + window();
    let err = f
        .store
        .record_response(&f.answer(&inv, 1, None, closed), closed, &rules(), &[])
        .await
        .unwrap_err();
    match err {
        StoreError::WindowClosed(stored) => assert_eq!(stored.score, 5),
        other => panic!("{other:?}"),
    }
    let r = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!((r.csat.count, r.csat.hist[1], r.csat.hist[5]), (1, 0, 1));
    let listed = f.all_responses(&ResponseFilter::default(), 10).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].score, 5);
}

pub async fn an_urdu_comment_round_trips_unchanged(f: &Fixture) {
    let comment =
        "عائشہ نے بہت اچھی مدد کی، شکریہ! 🌟\nसेवा बहुत अच्छी थी\u{200F} \"quoted\" <b>&amp;";
    let inv = f.invite(Invite::default()).await;
    let at = t(T0);
    f.store
        .record_response(&f.answer(&inv, 5, Some(comment), at), at, &rules(), &[])
        .await
        .unwrap();
    let stored = f.store.get_response(&inv.code).await.unwrap().unwrap();
    assert_eq!(
        stored.comment.as_deref().map(str::as_bytes),
        Some(comment.as_bytes())
    );
    let listed = f
        .all_responses(
            &ResponseFilter {
                has_comment: Some(true),
                ..Default::default()
            },
            5,
        )
        .await;
    assert_eq!(listed[0].comment.as_deref(), Some(comment));
}

pub async fn paging_returns_every_response_exactly_once(f: &Fixture) {
    let reps = ["ayesha", "bilal", "chen"];
    let mut expected = Vec::new();
    for i in 0..57i64 {
        let at = t(T0) + Duration::minutes(37 * i);
        let inv = f
            .invite(Invite {
                order: &format!("o-{i}"),
                rep: Some(reps[i as usize % 3]),
                channel: ["sms", "email", "receipt"][i as usize % 3],
                location: (i % 2 == 0).then_some("gulberg"),
                at,
                ..Invite::default()
            })
            .await;
        // Several share one instant, so ties are broken by id.
        let submitted = at + Duration::minutes(10 - i % 4 * 10);
        let comment = (i % 4 == 0).then_some("note");
        let r = f.answer(&inv, 1 + (i % 5) as u8, comment, submitted.max(at));
        f.store
            .record_response(&r, r.submitted_at, &rules(), &[])
            .await
            .unwrap();
        expected.push(r);
    }
    let mut newest_first = expected.clone();
    newest_first.sort_by(|a, b| (b.submitted_at, &b.id).cmp(&(a.submitted_at, &a.id)));
    for page_size in [1, 7, 10, 57, 500] {
        let listed = f.all_responses(&ResponseFilter::default(), page_size).await;
        assert_eq!(listed, newest_first, "page size {page_size}");
    }
    // Filters agree with a direct filter of what was written.
    let (from, to) = (day("2026-03-10"), day("2026-03-10"));
    let (start, end) = f
        .zone
        .instants(feedback_core::time::DateRange::new(from, to).unwrap());
    let filter = ResponseFilter {
        from: Some(start),
        before: Some(end),
        rep_id: Some(RepId::parse("r", "bilal").unwrap()),
        min_score: Some(2),
        max_score: Some(4),
        ..Default::default()
    };
    let want: Vec<_> = newest_first
        .iter()
        .filter(|r| r.submitted_at >= start && r.submitted_at < end)
        .filter(|r| r.attribution.rep_id.as_ref().map(RepId::as_str) == Some("bilal"))
        .filter(|r| (2..=4).contains(&r.score))
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(f.all_responses(&filter, 3).await, want);
    let located = ResponseFilter {
        location: Some(LocationId::parse("l", "gulberg").unwrap()),
        channel: Some(Channel::Sms),
        has_comment: Some(false),
        survey: Some(SurveyKind::Csat),
        ..Default::default()
    };
    let want: Vec<_> = newest_first
        .iter()
        .filter(|r| {
            r.attribution.location.is_some()
                && r.attribution.channel == Channel::Sms
                && r.comment.is_none()
        })
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(f.all_responses(&located, 4).await, want);
    let nps_only = ResponseFilter {
        survey: Some(SurveyKind::Nps),
        ..Default::default()
    };
    assert!(f.all_responses(&nps_only, 10).await.is_empty());
}

pub async fn flagged_answers_wait_for_release_and_count_once(f: &Fixture) {
    let link = link(None);
    f.store.create_link(&link).await.unwrap();
    let at = t(T0) + Duration::hours(1);
    let flag = Flag {
        reason: FlagReason::LinkBurst,
        at,
    };
    let counted = through(f, &link, "ok", 5, at);
    f.store
        .record_response(&counted, at, &rules(), &[])
        .await
        .unwrap();
    let mut held = Vec::new();
    for (i, score) in [1u8, 2, 1].into_iter().enumerate() {
        let r = Response {
            flagged: Some(flag),
            ..through(f, &link, &format!("bot{i}"), score, at)
        };
        f.store
            .record_response(&r, at, &rules(), &[])
            .await
            .unwrap();
        held.push(r);
    }
    let total = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!(
        (total.csat.count, total.flagged, total.follow_up.opened),
        (1, 3, 0)
    );
    let only_flagged = ResponseFilter {
        flagged: Some(true),
        ..Default::default()
    };
    let listed = f.all_responses(&only_flagged, 2).await;
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|r| r.flagged.is_some()));
    let counted_only = ResponseFilter {
        flagged: Some(false),
        ..Default::default()
    };
    assert_eq!(
        f.all_responses(&counted_only, 10).await,
        std::slice::from_ref(&counted)
    );

    // Released twice, concurrently: counted once, its follow-up opened once.
    let first = &held[0];
    let rules = rules();
    let (a, b) = tokio::join!(
        f.store.release_response(&link.code, &first.id, &rules),
        f.store.release_response(&link.code, &first.id, &rules)
    );
    let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
    assert_eq!(a, b);
    assert_eq!((a.flagged, a.revision), (None, 2));
    let total = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!(
        (total.csat.count, total.flagged, total.follow_up.opened),
        (2, 2, 1)
    );
    assert_eq!(total.csat.hist[1], 1);
    assert!(f.store.get_follow_up(&first.id).await.unwrap().is_some());
    assert_eq!(
        f.store
            .release_response(&link.code, "nope", &rules)
            .await
            .unwrap(),
        None
    );
}
