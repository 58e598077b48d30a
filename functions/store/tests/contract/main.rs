//! The store contract: every case runs against `SqliteStore` and against
//! `DynamoStore` on AWS's DynamoDB Local, with the same inputs and the same
//! expected outputs. `tests/run.sh` starts DynamoDB Local and sets
//! `DYNAMODB_ENDPOINT`; without it the DynamoDB cases fail rather than skip.
//! The cases are in `cases/`, one file per aggregate; the fixture and the
//! helpers they share are here.

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
use feedback_store::dynamo::StreamReader;
use feedback_store::{
    ContactRule, Cursor, Detail, DynamoStore, FollowUpFilter, InvitationOutcome, Recorded,
    ResponseFilter, Revocation, SqliteStore, Store, StoreError,
};
use std::collections::HashSet;
use std::sync::Arc;

struct Fixture {
    store: Arc<dyn Store>,
    /// Set for DynamoDB, to count round trips.
    dynamo: Option<DynamoStore>,
    /// On DynamoDB the rollups are a view of the table's stream: this
    /// reader applies it before each read of them ([`Fixture::settle`]).
    stream: Option<tokio::sync::Mutex<StreamReader>>,
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
            stream: None,
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
        let config =
            feedback_store::dynamo::local_config(&std::env::var("DYNAMODB_ENDPOINT").unwrap())
                .into_builder()
                // DynamoDB Local runs every transaction one at a time: with the
                // whole workspace's suites on it at once, a burst of 50 waits
                // longer than production's deadline ever lets a request wait
                // (tests/security.rs checks that deadline on its own).
                .timeout_config(
                    aws_smithy_types::timeout::TimeoutConfig::builder()
                        .operation_timeout(std::time::Duration::from_secs(60))
                        .build(),
                )
                .build();
        let store = DynamoStore::new(&config, &table);
        store.create_table().await.expect("create table");
        Fixture {
            store: Arc::new(store.clone()),
            stream: Some(tokio::sync::Mutex::new(StreamReader::new(&store))),
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
    /// Reps credited beside `rep`.
    also: &'a [&'a str],
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
            also: &[],
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
            also_rep_ids: Some(i.also.iter().map(|r| r.to_string()).collect()),
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

    /// Brings the rollups up to date with every change made so far: on
    /// DynamoDB, applies the table's stream to its end, as the aggregator
    /// does moments after each write; on SQLite they always are.
    async fn settle(&self) {
        if let (Some(stream), Some(store)) = (&self.stream, &self.dynamo) {
            stream.lock().await.catch_up(store).await.unwrap();
        }
    }

    async fn rollup(&self, slice: &Slice, from: &str, to: &str) -> Rollup {
        self.settle().await;
        let mut total = Rollup::default();
        for (_, r) in self
            .store
            .read_rollups(slice, day(from), day(to), Detail::WithQuestions)
            .await
            .unwrap()
        {
            total.merge(&r);
        }
        total
    }

    async fn all_follow_ups(&self, filter: &FollowUpFilter, page_size: usize) -> Vec<FollowUp> {
        all_pages(page_size, |cursor| async move {
            let page = self
                .store
                .list_follow_ups(filter, page_size, cursor.as_ref());
            page.await.unwrap()
        })
        .await
    }

    async fn all_responses(&self, filter: &ResponseFilter, page_size: usize) -> Vec<Response> {
        all_pages(page_size, |cursor| async move {
            let page = self
                .store
                .list_responses(filter, page_size, cursor.as_ref());
            page.await.unwrap()
        })
        .await
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

/// Every item of a list read `page_size` at a time; each page's cursor
/// goes out and comes back as text, as a client's would.
async fn all_pages<T, F, Fut>(page_size: usize, mut page: F) -> Vec<T>
where
    F: FnMut(Option<Cursor>) -> Fut,
    Fut: std::future::Future<Output = feedback_store::Page<T>>,
{
    let mut out = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let next = page(cursor.take()).await;
        assert!(next.items.len() <= page_size);
        out.extend(next.items);
        match next.next {
            Some(next) => cursor = Some(Cursor::parse("cursor", &next.encode()).unwrap()),
            None => return out,
        }
    }
}

mod cases;

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
    an_answer_shared_by_two_reps_counts_and_lists_under_each,
    erasure_keeps_the_counts_and_is_idempotent,
    an_erasure_racing_a_release_stays_erased,
    erasure_reaches_stored_deliveries,
    webhooks_and_their_deliveries,
    a_contact_is_invited_once_per_period_unless_forced,
    concurrent_invitations_for_one_contact_make_one,
    reusable_links_take_many_answers_within_their_quotas,
    a_double_tap_through_a_link_is_one_answer,
    flagged_answers_wait_for_release_and_count_once,
    tallies_count_and_the_secret_stays,
    sends_come_due_in_order_and_change_only_from_the_state_read,
    opt_outs_are_kept_and_erasure_drops_what_was_to_be_sent,
);
