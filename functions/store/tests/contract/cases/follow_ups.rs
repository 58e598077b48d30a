//! Follow-ups: opened by unhappy answers, moved through their states, listed.

use crate::*;

pub async fn an_unhappy_answer_opens_a_follow_up_and_edits_close_it(f: &Fixture) {
    let inv = f.invite(Invite::default()).await;
    let at = t(T0) + Duration::hours(1);
    let low = f.answer(&inv, 1, Some("cold chai"), at);
    f.store
        .record_response(&low, at, &rules(), &[])
        .await
        .unwrap();
    let opened = f.store.get_follow_up(&low.id).await.unwrap().unwrap();
    assert_eq!(
        (opened.status, opened.score, opened.opened_at),
        (Status::Open, 1, at)
    );
    let rep = Slice::Rep(RepId::parse("r", "ayesha").unwrap());
    for slice in [&Slice::All, &rep] {
        let r = f.rollup(slice, "2026-03-10", "2026-03-10").await;
        assert_eq!((r.follow_up.opened, r.csat.count), (1, 1), "{slice:?}");
    }
    // A double tap changes nothing; an edit to 5 closes it, uncounted.
    f.store
        .record_response(&low, at, &rules(), &[])
        .await
        .unwrap();
    let later = at + Duration::minutes(10);
    f.store
        .record_response(&f.answer(&inv, 5, None, later), later, &rules(), &[])
        .await
        .unwrap();
    let closed = f.store.get_follow_up(&low.id).await.unwrap().unwrap();
    assert_eq!((closed.status, closed.revision), (Status::Closed, 2));
    let r = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!(
        (r.follow_up.opened, r.csat.count, r.csat.hist[5]),
        (0, 1, 1)
    );
    // Back down to 2: reopened and counted again, once.
    let again = later + Duration::minutes(10);
    f.store
        .record_response(&f.answer(&inv, 2, None, again), again, &rules(), &[])
        .await
        .unwrap();
    let reopened = f.store.get_follow_up(&low.id).await.unwrap().unwrap();
    assert_eq!((reopened.status, reopened.score), (Status::Open, 2));
    let r = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!((r.follow_up.opened, r.csat.hist[2]), (1, 1));
    // A happy first answer opens nothing.
    let happy = f
        .invite(Invite {
            order: "order-2",
            ..Invite::default()
        })
        .await;
    let response = f.answer(&happy, 4, None, at);
    f.store
        .record_response(&response, at, &rules(), &[])
        .await
        .unwrap();
    assert_eq!(f.store.get_follow_up(&response.id).await.unwrap(), None);
}

pub async fn an_answer_shared_by_two_reps_counts_and_lists_under_each(f: &Fixture) {
    let shared = f
        .invite(Invite {
            also: &["bilal"],
            ..Invite::default()
        })
        .await;
    let alone = f
        .invite(Invite {
            order: "order-2",
            rep: Some("bilal"),
            ..Invite::default()
        })
        .await;
    let at = t(T0) + Duration::hours(1);
    for (inv, score) in [(&shared, 1), (&alone, 2)] {
        let r = f.answer(inv, score, None, at);
        f.store
            .record_response(&r, at, &rules(), &[])
            .await
            .unwrap();
    }
    let stored = f.store.get_response(&shared.code).await.unwrap().unwrap();
    let names: Vec<_> = stored.attribution.reps().map(RepId::as_str).collect();
    assert_eq!(names, ["ayesha", "bilal"]);
    // Each rep's figures count the shared answer in full; the business's once.
    let counts = |r: Rollup| (r.invitations, r.csat.count, r.follow_up.opened);
    let rep = |id: &str| Slice::Rep(RepId::parse("r", id).unwrap());
    let day = "2026-03-10";
    assert_eq!(counts(f.rollup(&Slice::All, day, day).await), (2, 2, 2));
    assert_eq!(counts(f.rollup(&rep("ayesha"), day, day).await), (1, 1, 1));
    assert_eq!(counts(f.rollup(&rep("bilal"), day, day).await), (2, 2, 2));
    // A rep's filter finds what credits them, first or not.
    for (id, want) in [("ayesha", 1), ("bilal", 2), ("chen", 0)] {
        let responses = ResponseFilter {
            rep_id: Some(RepId::parse("r", id).unwrap()),
            ..Default::default()
        };
        assert_eq!(f.all_responses(&responses, 1).await.len(), want, "{id}");
        let follow_ups = FollowUpFilter {
            rep_id: Some(RepId::parse("r", id).unwrap()),
            ..Default::default()
        };
        assert_eq!(f.all_follow_ups(&follow_ups, 1).await.len(), want, "{id}");
        let open = FollowUpFilter {
            status: Some(Status::Open),
            ..follow_ups
        };
        assert_eq!(f.all_follow_ups(&open, 5).await.len(), want, "{id} open");
    }
}

pub async fn follow_ups_move_through_their_states_and_the_rollups(f: &Fixture) {
    let inv = f.invite(Invite::default()).await;
    let at = t(T0) + Duration::hours(1);
    let low = f.answer(&inv, 2, None, at);
    f.store
        .record_response(&low, at, &rules(), &[])
        .await
        .unwrap();
    let opened = f.store.get_follow_up(&low.id).await.unwrap().unwrap();
    let contact = |s: &str| FollowUpPatch {
        status: Some(s.into()),
        note: Some(format!("{s}: called back")),
        ..Default::default()
    };
    let contacted = opened
        .patched(&contact("contacted"), at + Duration::minutes(40), Some("k"))
        .unwrap();
    f.store.update_follow_up(&opened, &contacted).await.unwrap();
    // A writer holding the old revision loses.
    let stale = opened
        .patched(&contact("resolved"), at + Duration::hours(1), None)
        .unwrap();
    assert!(matches!(
        f.store.update_follow_up(&opened, &stale).await,
        Err(StoreError::Conflict(_))
    ));
    let resolved = contacted
        .patched(&contact("resolved"), at + Duration::hours(30), None)
        .unwrap();
    f.store
        .update_follow_up(&contacted, &resolved)
        .await
        .unwrap();
    assert_eq!(
        f.store.get_follow_up(&low.id).await.unwrap(),
        Some(resolved.clone())
    );
    let r = f
        .rollup(&Slice::All, "2026-03-10", "2026-03-10")
        .await
        .follow_up;
    assert_eq!(
        (r.opened, r.contacted, r.contacted_in_sla, r.resolved),
        (1, 1, 1, 1)
    );
    assert_eq!((r.to_contact[2], r.to_resolve[8]), (1, 1));
    assert_eq!((r.awaiting, r.in_hand), (0, 0));
    // Reopened: no longer resolved; the first contact stays.
    let reopened = resolved
        .patched(&contact("open"), at + Duration::hours(40), None)
        .unwrap();
    f.store
        .update_follow_up(&resolved, &reopened)
        .await
        .unwrap();
    let r = f
        .rollup(&Slice::All, "2026-03-10", "2026-03-10")
        .await
        .follow_up;
    assert_eq!((r.opened, r.contacted, r.resolved), (1, 1, 0));
    assert_eq!(r.to_resolve.iter().sum::<i64>(), 0);
    // Reopened, it awaits first contact again: the row counts it so.
    assert_eq!((r.awaiting, r.in_hand), (1, 0));
    assert!(r.counts_awaiting());
    assert_eq!(
        f.store
            .get_follow_up(&low.id)
            .await
            .unwrap()
            .unwrap()
            .notes
            .len(),
        3
    );
}

pub async fn follow_ups_are_listed_filtered_and_paged(f: &Fixture) {
    // 7 unhappy answers an hour apart: 4 for ayesha by SMS, 3 for bilal on the web.
    let base = t(T0);
    let mut ids = Vec::new();
    for i in 0..7 {
        let at = base + Duration::hours(i);
        let inv = f
            .invite(Invite {
                order: &format!("order-{i}"),
                rep: Some(if i < 4 { "ayesha" } else { "bilal" }),
                channel: if i < 4 { "sms" } else { "web" },
                at,
                ..Invite::default()
            })
            .await;
        let r = f.answer(&inv, 1, None, at);
        f.store
            .record_response(&r, at, &rules(), &[])
            .await
            .unwrap();
        ids.push(r.id);
    }
    // The newest is contacted.
    let newest = f.store.get_follow_up(&ids[6]).await.unwrap().unwrap();
    let contacted = newest
        .patched(
            &FollowUpPatch {
                status: Some("contacted".into()),
                ..Default::default()
            },
            base + Duration::hours(7),
            None,
        )
        .unwrap();
    f.store.update_follow_up(&newest, &contacted).await.unwrap();
    let all = f.all_follow_ups(&FollowUpFilter::default(), 3).await;
    let listed: Vec<_> = all.iter().map(|x| x.id.clone()).collect();
    let newest_first: Vec<_> = ids.iter().rev().cloned().collect();
    assert_eq!(listed, newest_first);
    let open = f
        .all_follow_ups(
            &FollowUpFilter {
                status: Some(Status::Open),
                ..Default::default()
            },
            2,
        )
        .await;
    assert_eq!(open.len(), 6);
    let bilal_open = f
        .all_follow_ups(
            &FollowUpFilter {
                status: Some(Status::Open),
                rep_id: Some(RepId::parse("r", "bilal").unwrap()),
                ..Default::default()
            },
            10,
        )
        .await;
    assert_eq!(bilal_open.len(), 2);
    let web_contacted = f
        .all_follow_ups(
            &FollowUpFilter {
                status: Some(Status::Contacted),
                channel: Some(Channel::Web),
                ..Default::default()
            },
            10,
        )
        .await;
    assert_eq!(web_contacted.len(), 1);
    // 26 hours after the first: the first three are past their 24 h SLA
    // (hours 0, 1 and 2 are due at 24, 25 and 26 h), none of them contacted.
    let overdue = f
        .all_follow_ups(
            &FollowUpFilter {
                overdue_at: Some(base + Duration::hours(26)),
                ..Default::default()
            },
            10,
        )
        .await;
    let overdue: Vec<_> = overdue.iter().map(|x| x.id.clone()).collect();
    assert_eq!(overdue, [ids[2].clone(), ids[1].clone(), ids[0].clone()]);
    // Opened since hour 3 and still open: hours 3, 4 and 5, newest first.
    let since = FollowUpFilter {
        status: Some(Status::Open),
        opened_since: Some(base + Duration::hours(3)),
        ..Default::default()
    };
    let recent = f.all_follow_ups(&since, 2).await;
    let recent: Vec<_> = recent.iter().map(|x| x.id.clone()).collect();
    assert_eq!(recent, [ids[5].clone(), ids[4].clone(), ids[3].clone()]);
    // The head of the queue: the longest waiting first.
    let oldest = f
        .store
        .oldest_follow_ups(
            &FollowUpFilter {
                status: Some(Status::Open),
                ..Default::default()
            },
            2,
        )
        .await
        .unwrap();
    let oldest: Vec<_> = oldest.iter().map(|x| x.id.clone()).collect();
    assert_eq!(oldest, [ids[0].clone(), ids[1].clone()]);
    let bilal = f
        .store
        .oldest_follow_ups(
            &FollowUpFilter {
                rep_id: Some(RepId::parse("r", "bilal").unwrap()),
                opened_since: Some(base + Duration::hours(5)),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    let bilal: Vec<_> = bilal.iter().map(|x| x.id.clone()).collect();
    assert_eq!(bilal, [ids[5].clone(), ids[6].clone()]);
    // Each day's row counts who awaits first contact and who is in hand.
    let r = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
    assert_eq!((r.follow_up.awaiting, r.follow_up.in_hand), (6, 1));
}
