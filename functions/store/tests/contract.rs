//! The store contract: every case runs against `SqliteStore` and against
//! `DynamoStore` on AWS's DynamoDB Local, with the same inputs and the same
//! expected outputs. `tests/run.sh` starts DynamoDB Local and sets
//! `DYNAMODB_ENDPOINT`; without it the DynamoDB cases fail rather than skip.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use feedback_core::Link;
use feedback_core::abuse::{Flag, FlagReason, Quota};
use feedback_core::followup::{FollowUpPatch, Status};
use feedback_core::links::{NewLink, Target};
use feedback_core::model::{Answer, Answers, Expectation, NewInvitation};
use feedback_core::submission::SubmitRules;
use feedback_core::time::TenantZone;
use feedback_core::{
    ApiKey, Channel, Code, FollowUp, FollowUpRules, Invitation, LocationId, Rep, RepId, Response,
    Rollup, Scope, Settings, Slice, SurveyKind,
};
use feedback_store::{
    ContactRule, Cursor, DynamoStore, FollowUpFilter, InvitationOutcome, Recorded, ResponseFilter,
    Revocation, SqliteStore, Store, StoreError,
};
use std::collections::HashSet;
use std::sync::Arc;

struct Fixture {
    store: Arc<dyn Store>,
    /// Set for DynamoDB, to count round trips.
    dynamo: Option<DynamoStore>,
    zone: TenantZone,
    _dir: Option<tempfile::TempDir>,
}

impl Fixture {
    async fn sqlite() -> Fixture {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("feedback.db")).expect("open sqlite");
        Fixture {
            store: Arc::new(store),
            dynamo: None,
            zone: zone(),
            _dir: Some(dir),
        }
    }

    async fn dynamo() -> Fixture {
        assert!(
            std::env::var("DYNAMODB_ENDPOINT").is_ok_and(|e| !e.is_empty()),
            "DYNAMODB_ENDPOINT is not set: run tests/run.sh, which starts DynamoDB Local, \
             or point DYNAMODB_ENDPOINT at one you started"
        );
        // A table per test keeps the cases independent of each other.
        let table = format!("contract-{}", uuid::Uuid::new_v4());
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(std::env::var("DYNAMODB_ENDPOINT").unwrap())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local", "local", None, None, "test",
            ))
            // DynamoDB Local runs every transaction one at a time: with the
            // whole workspace's suites on it at once, a burst of 50 waits
            // longer than production's deadline ever lets a request wait
            // (tests/security.rs checks that deadline on its own).
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(std::time::Duration::from_secs(60))
                    .build(),
            )
            .load()
            .await;
        let store = DynamoStore::new(&config, &table);
        store.create_table().await.expect("create table");
        Fixture {
            store: Arc::new(store.clone()),
            dynamo: Some(store),
            zone: zone(),
            _dir: None,
        }
    }
}

fn zone() -> TenantZone {
    TenantZone::parse("time_zone", "Asia/Karachi").unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const T0: &str = "2026-03-10T06:00:00Z";

struct Invite<'a> {
    order: &'a str,
    customer: Option<&'a str>,
    rep: Option<&'a str>,
    channel: &'a str,
    location: Option<&'a str>,
    survey: SurveyKind,
    at: DateTime<Utc>,
}

impl Default for Invite<'_> {
    fn default() -> Self {
        Invite {
            order: "order-1",
            customer: None,
            rep: Some("ayesha"),
            channel: "sms",
            location: Some("gulberg"),
            survey: SurveyKind::Csat,
            at: t(T0),
        }
    }
}

impl Fixture {
    fn invitation(&self, i: Invite<'_>) -> Invitation {
        NewInvitation {
            order_id: Some(i.order.into()),
            rep_id: i.rep.map(Into::into),
            channel: Some(i.channel.into()),
            location: i.location.map(Into::into),
            survey: Some(i.survey.as_str().into()),
            customer_ref: i.customer.map(Into::into),
            ..Default::default()
        }
        .validate(SurveyKind::Csat)
        .unwrap()
        .issue(
            Code::generate().unwrap(),
            i.at,
            Duration::days(30),
            &self.zone,
        )
    }

    async fn invite(&self, i: Invite<'_>) -> Invitation {
        match self
            .store
            .create_invitation(&self.invitation(i), None)
            .await
            .unwrap()
        {
            InvitationOutcome::Created(inv) => inv,
            other => panic!("expected a new invitation, got {other:?}"),
        }
    }

    fn answer(
        &self,
        inv: &Invitation,
        score: u8,
        comment: Option<&str>,
        at: DateTime<Utc>,
    ) -> Response {
        let answers = Answers {
            speed: Some(score.clamp(1, 5)),
            expectations: Some(Expectation::Met),
            ..Answers::default()
        };
        Response::first(
            inv,
            Answer {
                score,
                answers,
                comment: comment.map(Into::into),
            },
            at,
            &self.zone,
        )
    }

    async fn rollup(&self, slice: &Slice, from: &str, to: &str) -> Rollup {
        let mut total = Rollup::default();
        for (_, r) in self
            .store
            .read_rollups(slice, day(from), day(to))
            .await
            .unwrap()
        {
            total.merge(&r);
        }
        total
    }

    async fn all_follow_ups(&self, filter: &FollowUpFilter, page_size: usize) -> Vec<FollowUp> {
        let mut out = Vec::new();
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = self
                .store
                .list_follow_ups(filter, page_size, cursor.as_ref())
                .await
                .unwrap();
            assert!(page.items.len() <= page_size);
            out.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(Cursor::parse("cursor", &next.encode()).unwrap()),
                None => return out,
            }
        }
    }

    async fn all_responses(&self, filter: &ResponseFilter, page_size: usize) -> Vec<Response> {
        let mut out = Vec::new();
        let mut cursor: Option<Cursor> = None;
        loop {
            let page = self
                .store
                .list_responses(filter, page_size, cursor.as_ref())
                .await
                .unwrap();
            assert!(page.items.len() <= page_size);
            out.extend(page.items);
            match page.next {
                // Cursors go to clients and come back as text.
                Some(next) => cursor = Some(Cursor::parse("cursor", &next.encode()).unwrap()),
                None => return out,
            }
        }
    }
}

const WINDOW: i64 = 24;

fn window() -> Duration {
    Duration::hours(WINDOW)
}

fn rules() -> SubmitRules {
    SubmitRules {
        edit_window: window(),
        follow_up: FollowUpRules::default(),
    }
}

mod cases {
    use super::*;

    pub async fn invitation_is_idempotent_by_order_id(f: &Fixture) {
        let first = f.invite(Invite::default()).await;
        // Same order again, with another code: the first invitation comes back.
        let again = f.invitation(Invite {
            channel: "email",
            ..Invite::default()
        });
        assert_ne!(again.code, first.code);
        let outcome = f.store.create_invitation(&again, None).await.unwrap();
        assert_eq!(outcome, InvitationOutcome::Existing(first.clone()));
        assert_eq!(
            f.store.get_invitation(&first.code).await.unwrap(),
            Some(first.clone())
        );
        assert_eq!(f.store.get_invitation(&again.code).await.unwrap(), None);
        // Counted once, on its local day (06:00 UTC is 11:00 in Karachi).
        let all = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
        assert_eq!(all.invitations, 1);
        let by_channel = f
            .rollup(&Slice::Channel(Channel::Email), "2026-03-01", "2026-03-31")
            .await;
        assert_eq!(by_channel.invitations, 0);
    }

    pub async fn concurrent_invitations_for_one_order_make_one(f: &Fixture) {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let store = Arc::clone(&f.store);
            let inv = f.invitation(Invite {
                order: "same-order",
                ..Invite::default()
            });
            tasks.spawn(async move { store.create_invitation(&inv, None).await.unwrap() });
        }
        let outcomes = tasks.join_all().await;
        let codes: HashSet<_> = outcomes
            .iter()
            .map(|o| o.invitation().code.clone())
            .collect();
        assert_eq!(codes.len(), 1);
        assert_eq!(
            outcomes
                .iter()
                .filter(|o| matches!(o, InvitationOutcome::Created(_)))
                .count(),
            1
        );
        assert_eq!(
            f.rollup(&Slice::All, "2026-03-10", "2026-03-10")
                .await
                .invitations,
            1
        );
    }

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

    pub async fn unknown_and_expired_invitations_are_refused(f: &Fixture) {
        let inv = f.invite(Invite::default()).await;
        let unknown = Invitation {
            code: Code::generate().unwrap(),
            ..inv.clone()
        };
        let at = t(T0);
        let err = f
            .store
            .record_response(&f.answer(&unknown, 3, None, at), at, &rules(), &[])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound), "{err:?}");
        let late = inv.expires_at;
        let err = f
            .store
            .record_response(&f.answer(&inv, 3, None, late), late, &rules(), &[])
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Expired(when) if when == inv.expires_at),
            "{err:?}"
        );
        assert_eq!(
            f.rollup(&Slice::All, "2026-01-01", "2026-12-31")
                .await
                .responses(),
            0
        );
        assert_eq!(f.store.get_response(&inv.code).await.unwrap(), None);
        // One second before expiry is still in time.
        let in_time = inv.expires_at - Duration::seconds(1);
        f.store
            .record_response(&f.answer(&inv, 3, None, in_time), in_time, &rules(), &[])
            .await
            .unwrap();
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
        let (zone, from, to) = (f.zone, day("2026-03-10"), day("2026-03-10"));
        let (start, end) = zone.instants(feedback_core::time::DateRange::new(from, to).unwrap());
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
        let slice = Slice::Rep(RepId::parse("r", "ayesha").unwrap());
        let before = f.dynamo.as_ref().map(DynamoStore::requests_sent);
        let days = f
            .store
            .read_rollups(&slice, day("2025-01-01"), day("2026-02-04"))
            .await
            .unwrap();
        if let (Some(dynamo), Some(before)) = (&f.dynamo, before) {
            let trips = dynamo.requests_sent() - before;
            println!("400 days of rollups read in {trips} DynamoDB round trip(s)");
            assert!(trips <= 2, "{trips} round trips");
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
            .read_rollups(&slice, day("2025-03-01"), day("2025-03-31"))
            .await
            .unwrap();
        assert_eq!(march.len(), 31);
    }

    pub async fn reps_are_upserted_and_listed(f: &Fixture) {
        let rep = |id: &str, name: &str| Rep {
            id: RepId::parse("rep_id", id).unwrap(),
            display_name: name.into(),
            team: Some("front".into()),
            active: true,
            archived_at: None,
        };
        assert!(f.store.put_rep(&rep("bilal", "Bilal")).await.unwrap());
        assert!(f.store.put_rep(&rep("ayesha", "Ayesha")).await.unwrap());
        let renamed = Rep {
            active: false,
            team: None,
            ..rep("bilal", "Bilal Ahmed")
        };
        assert!(!f.store.put_rep(&renamed).await.unwrap());
        assert_eq!(
            f.store.get_rep(&renamed.id).await.unwrap(),
            Some(renamed.clone())
        );
        assert_eq!(
            f.store
                .get_rep(&RepId::parse("r", "nobody").unwrap())
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            f.store.list_reps().await.unwrap(),
            [rep("ayesha", "Ayesha"), renamed]
        );
    }

    pub async fn keys_are_found_by_hash_listed_and_revoked(f: &Fixture) {
        let (admin, _) = ApiKey::generate(vec![Scope::Admin], Some("owner".into()), t(T0)).unwrap();
        let (reader, secret) =
            ApiKey::generate(vec![Scope::ScoresRead], None, t(T0) + Duration::seconds(1)).unwrap();
        f.store.create_key(&admin).await.unwrap();
        f.store.create_key(&reader).await.unwrap();
        let hash = feedback_core::auth::hash_key(&secret);
        assert_eq!(f.store.find_key(&hash).await.unwrap(), Some(reader.clone()));
        assert_eq!(f.store.find_key(&"0".repeat(64)).await.unwrap(), None);
        let used = t(T0) + Duration::minutes(5);
        f.store.touch_key(&hash, used).await.unwrap();
        f.store.touch_key(&"0".repeat(64), used).await.unwrap();
        assert_eq!(
            f.store.find_key(&hash).await.unwrap().unwrap().last_used_at,
            Some(used)
        );
        let revoked_at = t(T0) + Duration::hours(1);
        let revoked = |r: Revocation| match r {
            Revocation::Revoked(key) => key,
            other => panic!("{other:?}"),
        };
        let first = revoked(f.store.revoke_key(&reader.id, revoked_at).await.unwrap());
        assert_eq!(first.revoked_at, Some(revoked_at));
        // Revoking again keeps the first time.
        let again = f
            .store
            .revoke_key(&reader.id, revoked_at + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(revoked(again).revoked_at, Some(revoked_at));
        assert_eq!(
            f.store.revoke_key("nosuchkey", revoked_at).await.unwrap(),
            Revocation::NoSuchKey
        );
        // The last active admin key stays.
        assert_eq!(
            f.store.revoke_key(&admin.id, revoked_at).await.unwrap(),
            Revocation::LastAdmin
        );
        let ids: Vec<_> = f
            .store
            .list_keys()
            .await
            .unwrap()
            .into_iter()
            .map(|k| (k.is_active(), k.id))
            .collect();
        assert_eq!(ids, [(true, admin.id), (false, reader.id)]);
    }

    pub async fn concurrent_revokes_never_leave_no_admin(f: &Fixture) {
        for round in 0..5 {
            for i in 0..3 {
                let at = t(T0) + Duration::minutes(round * 10 + i);
                let (key, _) = ApiKey::generate(vec![Scope::Admin], None, at).unwrap();
                f.store.create_key(&key).await.unwrap();
            }
            let active_admins = || async {
                f.store
                    .list_keys()
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|k| k.is_active() && k.scopes.contains(&Scope::Admin))
                    .collect::<Vec<_>>()
            };
            // Every active admin key revoked at once.
            let mut tasks = tokio::task::JoinSet::new();
            for key in active_admins().await {
                let store = Arc::clone(&f.store);
                tasks.spawn(async move { store.revoke_key(&key.id, t(T0)).await.unwrap() });
            }
            let outcomes = tasks.join_all().await;
            let kept = outcomes
                .iter()
                .filter(|o| **o == Revocation::LastAdmin)
                .count();
            assert_eq!(
                (outcomes.len(), kept, active_admins().await.len()),
                (if round == 0 { 3 } else { 4 }, 1, 1),
                "round {round}: {outcomes:?}"
            );
        }
    }

    pub async fn settings_round_trip(f: &Fixture) {
        assert_eq!(f.store.get_settings().await.unwrap(), None);
        let mut settings = Settings::defaults("چائے کارنر");
        settings
            .thank_you
            .insert("ur".into(), "آپ کا شکریہ!".into());
        settings.coupon = Some("CHAI10".into());
        f.store.put_settings(&settings).await.unwrap();
        assert_eq!(
            f.store.get_settings().await.unwrap(),
            Some(settings.clone())
        );
        settings.edit_window_hours = 2;
        settings.coupon = None;
        f.store.put_settings(&settings).await.unwrap();
        assert_eq!(f.store.get_settings().await.unwrap(), Some(settings));
    }

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
    }

    pub async fn erasure_reaches_stored_deliveries(f: &Fixture) {
        use feedback_core::followup::FollowUpRules;
        use feedback_core::webhook::{Change, Delivery, EventType, Webhook};
        let at = t(T0) + Duration::hours(1);
        let webhook = Webhook::generate(
            "https://hooks.example.com/".into(),
            vec![EventType::ResponseCreated],
            at,
        )
        .unwrap();
        f.store.create_webhook(&webhook).await.unwrap();
        let mut answered = Vec::new();
        for (order, customer) in [("d-1", "to-erase"), ("d-2", "to-keep")] {
            let inv = f
                .invite(Invite {
                    order,
                    customer: Some(customer),
                    ..Invite::default()
                })
                .await;
            let r = f.answer(&inv, 4, Some("words of one customer"), at);
            f.store
                .record_response(&r, at, &rules(), &[])
                .await
                .unwrap();
            let change = Change::Response {
                before: None,
                after: Box::new(r.clone()),
            };
            let event = change.events(&FollowUpRules::default()).remove(0);
            let delivery = Delivery::new(&webhook, event, at);
            assert!(f.store.add_delivery(&delivery).await.unwrap());
            answered.push((inv.code, delivery));
        }
        let customer = feedback_core::CustomerRef::parse("c", "to-erase").unwrap();
        f.store.erase_customer(&customer, "contact").await.unwrap();
        let stored = f.store.list_deliveries(&webhook.id, 10).await.unwrap();
        let of = |code: &Code| {
            stored
                .iter()
                .find(|d| d.event.data["response"]["code"] == code.as_str())
                .unwrap()
                .clone()
        };
        let (erased, before) = (&answered[0].0, &answered[0].1);
        let scrubbed = of(erased);
        assert!(scrubbed.event.data["response"]["comment"].is_null());
        assert_eq!(scrubbed.revision, before.revision + 1);
        // A sender holding the delivery as it was cannot write it back.
        let mut stale = before.clone();
        stale.revision += 1;
        assert!(matches!(
            f.store.update_delivery(before, &stale).await,
            Err(StoreError::Conflict(_))
        ));
        let kept = of(&answered[1].0);
        assert_eq!(
            kept.event.data["response"]["comment"],
            "words of one customer"
        );
        assert_eq!(kept.revision, answered[1].1.revision);
    }

    pub async fn an_erasure_racing_a_release_stays_erased(f: &Fixture) {
        let at = t(T0) + Duration::hours(1);
        let flag = Flag {
            reason: FlagReason::AddressBurst,
            at,
        };
        for round in 0..12 {
            let customer = format!("racer-{round}");
            let inv = f
                .invite(Invite {
                    order: &format!("race-{round}"),
                    customer: Some(&customer),
                    ..Invite::default()
                })
                .await;
            let held = Response {
                flagged: Some(flag),
                ..f.answer(&inv, 1, Some("private words"), at)
            };
            f.store
                .record_response(&held, at, &rules(), &[])
                .await
                .unwrap();
            let (release, erase) = {
                let (a, b) = (Arc::clone(&f.store), Arc::clone(&f.store));
                let (code, id) = (inv.code.clone(), held.id.clone());
                let customer = feedback_core::CustomerRef::parse("c", &customer).unwrap();
                tokio::join!(
                    tokio::spawn(async move { a.release_response(&code, &id, &rules()).await }),
                    tokio::spawn(async move { b.erase_customer(&customer, "contact").await }),
                )
            };
            release.unwrap().unwrap();
            erase.unwrap().unwrap();
            let stored = f.store.get_response(&inv.code).await.unwrap().unwrap();
            assert_eq!(
                (stored.comment, stored.flagged),
                (None, None),
                "round {round}: the release wrote the erased comment back"
            );
        }
    }

    pub async fn erasure_keeps_the_counts_and_is_idempotent(f: &Fixture) {
        let at = t(T0) + Duration::hours(1);
        let mut codes = Vec::new();
        for (i, (customer, comment)) in [
            ("+923001234567", Some("کمرہ ٹھنڈا تھا")),
            ("+923001234567", None),
            ("cust-2", Some("fine")),
        ]
        .into_iter()
        .enumerate()
        {
            let inv = f
                .invite(Invite {
                    order: &format!("order-{i}"),
                    customer: Some(customer),
                    ..Invite::default()
                })
                .await;
            let r = f.answer(&inv, 2, comment, at);
            f.store
                .record_response(&r, at, &rules(), &[])
                .await
                .unwrap();
            codes.push(inv.code);
        }
        let before = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
        let customer = feedback_core::CustomerRef::parse("c", "+923001234567").unwrap();
        let erased = f.store.erase_customer(&customer, "contact").await.unwrap();
        assert_eq!((erased.invitations, erased.comments), (2, 1));
        for code in &codes[..2] {
            let inv = f.store.get_invitation(code).await.unwrap().unwrap();
            assert_eq!(inv.customer_ref, None);
            let r = f.store.get_response(code).await.unwrap().unwrap();
            assert_eq!((r.comment, r.score), (None, 2));
        }
        // Someone else's data and every count stay.
        let other = f.store.get_response(&codes[2]).await.unwrap().unwrap();
        assert_eq!(other.comment.as_deref(), Some("fine"));
        assert_eq!(
            f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await,
            before
        );
        let commented = f
            .all_responses(
                &ResponseFilter {
                    has_comment: Some(true),
                    ..Default::default()
                },
                10,
            )
            .await;
        assert_eq!(commented.len(), 1);
        let again = f.store.erase_customer(&customer, "contact").await.unwrap();
        assert_eq!((again.invitations, again.comments), (0, 0));
        // Retention erases one invitation's data the same way.
        let erased = f.store.erase_invitation(&codes[2]).await.unwrap();
        assert_eq!((erased.invitations, erased.comments), (1, 1));
        assert_eq!(
            f.store.erase_invitation(&codes[2]).await.unwrap(),
            feedback_store::Erased::default()
        );
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

    pub async fn webhooks_and_their_deliveries(f: &Fixture) {
        use feedback_core::webhook::{
            Attempt, Backoff, Delivery, DeliveryState, Event, EventType, Webhook,
        };
        let s = &f.store;
        let now = Utc::now();
        let hook = |url: &str, at| {
            Webhook::generate(url.into(), vec![EventType::ResponseCreated], at).unwrap()
        };
        let (a, b) = (
            hook("https://a.example/h", now - Duration::minutes(2)),
            hook("https://b.example/h", now - Duration::minutes(1)),
        );
        s.create_webhook(&b).await.unwrap();
        s.create_webhook(&a).await.unwrap();
        assert_eq!(s.list_webhooks().await.unwrap(), [a.clone(), b.clone()]);

        let event = |n: i64| Event {
            id: format!("evt_{n}"),
            kind: EventType::ResponseCreated,
            created_at: now - Duration::seconds(100 - n),
            data: serde_json::json!({ "n": n }),
        };
        let first = Delivery::new(&a, event(1), now);
        assert!(s.add_delivery(&first).await.unwrap());
        assert!(
            !s.add_delivery(&Delivery::new(&a, event(1), now))
                .await
                .unwrap(),
            "the same event to the same webhook is stored once"
        );
        let second = Delivery::new(&a, event(2), now);
        assert!(s.add_delivery(&second).await.unwrap());
        assert!(
            s.add_delivery(&Delivery::new(&b, event(1), now))
                .await
                .unwrap()
        );

        // Leased for their first attempt: not yet due for the sweep.
        assert!(s.due_deliveries(now, 10).await.unwrap().is_empty());
        let failed = first.after(
            Attempt {
                at: now,
                status: Some(500),
                error: None,
                duration_ms: 12,
            },
            &Backoff::DEFAULT,
            0.0,
        );
        s.update_delivery(&first, &failed).await.unwrap();
        assert!(matches!(
            s.update_delivery(&first, &failed).await,
            Err(StoreError::Conflict(_))
        ));
        let retry_at = failed.next_attempt_at.unwrap();
        assert!(
            s.due_deliveries(retry_at - Duration::seconds(1), 10)
                .await
                .unwrap()
                .is_empty()
        );
        let due = s.due_deliveries(retry_at, 10).await.unwrap();
        assert_eq!(due, std::slice::from_ref(&failed));

        let delivered = failed.after(
            Attempt {
                at: retry_at,
                status: Some(204),
                error: None,
                duration_ms: 8,
            },
            &Backoff::DEFAULT,
            0.0,
        );
        s.update_delivery(&failed, &delivered).await.unwrap();
        assert_eq!(delivered.state, DeliveryState::Delivered);
        assert!(
            s.due_deliveries(retry_at + Duration::days(1), 10)
                .await
                .unwrap()
                .len()
                == 2
        );

        let listed = s.list_deliveries(&a.id, 10).await.unwrap();
        assert_eq!(listed, [second.clone(), delivered], "newest event first");
        assert_eq!(s.list_deliveries(&a.id, 1).await.unwrap(), [second]);

        assert!(s.delete_webhook(&a.id).await.unwrap());
        assert!(!s.delete_webhook(&a.id).await.unwrap());
        assert_eq!(s.list_webhooks().await.unwrap(), [b]);
    }

    pub async fn a_contact_is_invited_once_per_period_unless_forced(f: &Fixture) {
        let rule = |at: DateTime<Utc>, force: bool| ContactRule {
            key: "contact-k".into(),
            until: at + Duration::days(30),
            force,
        };
        let invite = |order: &'static str, channel: &'static str, at: DateTime<Utc>| {
            f.invitation(Invite {
                order,
                channel,
                customer: Some("+923001234567"),
                at,
                ..Invite::default()
            })
        };
        let at = t(T0);
        let sms = invite("o-sms", "sms", at);
        let first = f
            .store
            .create_invitation(&sms, Some(&rule(at, false)))
            .await
            .unwrap();
        assert_eq!(first, InvitationOutcome::Created(sms.clone()));

        // The same contact by e-mail an hour later: the SMS invitation back.
        let later = at + Duration::hours(1);
        let email = invite("o-email", "email", later);
        let throttled = f
            .store
            .create_invitation(&email, Some(&rule(later, false)))
            .await
            .unwrap();
        assert_eq!(
            throttled,
            InvitationOutcome::Throttled {
                last: sms.clone(),
                until: at + Duration::days(30)
            }
        );
        assert_eq!(f.store.get_invitation(&email.code).await.unwrap(), None);
        let invited = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
        assert_eq!(
            invited.invitations, 1,
            "a throttled invitation counts nothing"
        );

        // Forced: made, and the period starts again from it.
        let forced = invite("o-forced", "email", later);
        assert!(matches!(
            f.store
                .create_invitation(&forced, Some(&rule(later, true)))
                .await
                .unwrap(),
            InvitationOutcome::Created(_)
        ));
        let next = at + Duration::days(30) + Duration::minutes(30);
        match f
            .store
            .create_invitation(&invite("o-early", "sms", next), Some(&rule(next, false)))
            .await
            .unwrap()
        {
            InvitationOutcome::Throttled { last, .. } => assert_eq!(last, forced),
            other => panic!("expected throttled, got {other:?}"),
        }
        // After the forced one's period: a new invitation.
        let after = later + Duration::days(30);
        let fresh = invite("o-after", "sms", after);
        assert_eq!(
            f.store
                .create_invitation(&fresh, Some(&rule(after, false)))
                .await
                .unwrap(),
            InvitationOutcome::Created(fresh.clone())
        );
        // The same order again is still the same invitation, throttle or not.
        assert_eq!(
            f.store
                .create_invitation(&invite("o-sms", "sms", after), Some(&rule(after, false)))
                .await
                .unwrap(),
            InvitationOutcome::Existing(sms)
        );
    }

    pub async fn concurrent_invitations_for_one_contact_make_one(f: &Fixture) {
        let at = t(T0);
        let rule = ContactRule {
            key: "contact-c".into(),
            until: at + Duration::days(30),
            force: false,
        };
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..12 {
            let store = Arc::clone(&f.store);
            let inv = f.invitation(Invite {
                order: Box::leak(format!("o-{i}").into_boxed_str()),
                channel: if i % 2 == 0 { "sms" } else { "email" },
                customer: Some("cust-c"),
                at,
                ..Invite::default()
            });
            let rule = rule.clone();
            tasks.spawn(async move { store.create_invitation(&inv, Some(&rule)).await.unwrap() });
        }
        let outcomes = tasks.join_all().await;
        let created: Vec<_> = outcomes
            .iter()
            .filter(|o| matches!(o, InvitationOutcome::Created(_)))
            .collect();
        assert_eq!(created.len(), 1, "{outcomes:?}");
        for o in &outcomes {
            assert_eq!(
                o.invitation(),
                created[0].invitation(),
                "every answer names the one link"
            );
        }
        assert_eq!(
            f.rollup(&Slice::All, "2026-03-10", "2026-03-10")
                .await
                .invitations,
            1
        );
    }

    /// A reusable link at a counter, for Ayesha at Gulberg.
    fn link(cap: Option<u32>) -> Link {
        NewLink {
            rep_id: Some("ayesha".into()),
            channel: Some("in_store".into()),
            location: Some("gulberg".into()),
            daily_cap: cap.map(i64::from),
            ..NewLink::default()
        }
        .validate(Code::generate().unwrap(), SurveyKind::Csat, t(T0))
        .unwrap()
    }

    fn through(f: &Fixture, link: &Link, key: &str, score: u8, at: DateTime<Utc>) -> Response {
        Response {
            client: Some(format!("client-{key}")),
            ..Response::answering(
                &Target::Link(link.clone()),
                link.response_id(key),
                Answer {
                    score,
                    answers: Answers::default(),
                    comment: None,
                },
                at,
                &f.zone,
            )
        }
    }

    pub async fn reusable_links_take_many_answers_within_their_quotas(f: &Fixture) {
        let link = link(Some(3));
        f.store.create_link(&link).await.unwrap();
        assert_eq!(
            f.store.get_link(&link.code).await.unwrap(),
            Some(link.clone())
        );
        assert_eq!(
            f.store.list_links().await.unwrap(),
            std::slice::from_ref(&link)
        );
        let at = t(T0) + Duration::hours(1);
        let today = f.zone.day_of(at);
        let per_address =
            |client: &str| Quota::per_address(link.code.as_str(), client, today, 1, &f.zone);
        let cap = Quota::per_link(link.code.as_str(), today, 3, &f.zone);

        // Two people, one answer each; the same form sent twice is one answer.
        for key in ["a", "b"] {
            let r = through(f, &link, key, 5, at);
            let quotas = [per_address(key), cap.clone()];
            let first = f
                .store
                .record_response(&r, at, &rules(), &quotas)
                .await
                .unwrap();
            assert_eq!(first, Recorded::Created(r.clone()));
            let again = f
                .store
                .record_response(&r, at, &rules(), &quotas)
                .await
                .unwrap();
            assert_eq!(again, Recorded::Unchanged(r));
        }
        // "a" again with a new form: over its address's quota, nothing stored.
        let second = through(f, &link, "a2", 4, at);
        let refused = f
            .store
            .record_response(&second, at, &rules(), &[per_address("a"), cap.clone()])
            .await;
        assert!(
            matches!(refused, Err(StoreError::OverQuota { resets_at }) if resets_at == per_address("a").resets_at),
            "{refused:?}"
        );
        // A third person fills the daily cap; a fourth is refused by it.
        let c = through(f, &link, "c", 3, at);
        f.store
            .record_response(&c, at, &rules(), &[per_address("c"), cap.clone()])
            .await
            .unwrap();
        let d = through(f, &link, "d", 3, at);
        assert!(matches!(
            f.store
                .record_response(&d, at, &rules(), &[per_address("d"), cap.clone()])
                .await,
            Err(StoreError::OverQuota { .. })
        ));
        let total = f.rollup(&Slice::All, "2026-03-10", "2026-03-10").await;
        assert_eq!(
            (total.csat.count, total.answered, total.invitations),
            (3, 0, 0)
        );
        let rep = Slice::Rep(RepId::parse("r", "ayesha").unwrap());
        assert_eq!(
            f.rollup(&rep, "2026-03-10", "2026-03-10").await.csat.count,
            3
        );

        // Disabled: refused; expired: refused with its time.
        let disabled = Link {
            active: false,
            revision: 2,
            ..link.clone()
        };
        f.store.update_link(&link, &disabled).await.unwrap();
        assert!(matches!(
            f.store.update_link(&link, &disabled).await,
            Err(StoreError::Conflict(_))
        ));
        let e = through(f, &link, "e", 5, at);
        assert!(matches!(
            f.store.record_response(&e, at, &rules(), &[]).await,
            Err(StoreError::Disabled)
        ));
        let ends = at - Duration::minutes(1);
        let expired = Link {
            active: true,
            expires_at: Some(ends),
            revision: 3,
            ..link.clone()
        };
        f.store.update_link(&disabled, &expired).await.unwrap();
        assert!(matches!(
            f.store.record_response(&e, at, &rules(), &[]).await,
            Err(StoreError::Expired(when)) if when == ends
        ));
        let unknown = through(f, &self::link(None), "x", 5, at);
        assert!(matches!(
            f.store.record_response(&unknown, at, &rules(), &[]).await,
            Err(StoreError::NotFound)
        ));
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

    pub async fn tallies_count_and_the_secret_stays(f: &Fixture) {
        let until = t(T0) + Duration::minutes(10);
        let keys = ["A#x#1".to_owned(), "L#y#1".to_owned()];
        assert_eq!(f.store.tally(&keys, until).await.unwrap(), [1, 1]);
        assert_eq!(f.store.tally(&keys[..1], until).await.unwrap(), [2]);
        assert_eq!(f.store.tally(&keys, until).await.unwrap(), [3, 2]);
        let (a, b) = tokio::join!(f.store.secret(), f.store.secret());
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.bytes(), b.bytes(), "one secret, however many ask at once");
        assert_eq!(f.store.secret().await.unwrap().bytes(), a.bytes());
    }
}

macro_rules! contract_suite {
    ($store:ident: $($case:ident),* $(,)?) => {
        mod $store {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let fixture = Fixture::$store().await;
                    cases::$case(&fixture).await;
                }
            )*
        }
    };
}

macro_rules! for_each_store {
    ($($case:ident),* $(,)?) => {
        contract_suite!(sqlite: $($case),*);
        contract_suite!(dynamo: $($case),*);
    };
}

for_each_store!(
    invitation_is_idempotent_by_order_id,
    concurrent_invitations_for_one_order_make_one,
    a_duplicate_submit_counts_once,
    fifty_concurrent_submits_for_one_code_count_once,
    an_edit_moves_the_histogram_and_the_window_closes,
    unknown_and_expired_invitations_are_refused,
    an_urdu_comment_round_trips_unchanged,
    paging_returns_every_response_exactly_once,
    four_hundred_days_of_rollups_in_few_round_trips,
    reps_are_upserted_and_listed,
    surveys_and_days_are_kept_apart,
    keys_are_found_by_hash_listed_and_revoked,
    concurrent_revokes_never_leave_no_admin,
    settings_round_trip,
    an_unhappy_answer_opens_a_follow_up_and_edits_close_it,
    follow_ups_move_through_their_states_and_the_rollups,
    follow_ups_are_listed_filtered_and_paged,
    erasure_keeps_the_counts_and_is_idempotent,
    an_erasure_racing_a_release_stays_erased,
    erasure_reaches_stored_deliveries,
    webhooks_and_their_deliveries,
    a_contact_is_invited_once_per_period_unless_forced,
    concurrent_invitations_for_one_contact_make_one,
    reusable_links_take_many_answers_within_their_quotas,
    flagged_answers_wait_for_release_and_count_once,
    tallies_count_and_the_secret_stays,
);
