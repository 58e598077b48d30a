//! Persistence for the feedback backend.
//!
//! [`Store`] is a small async trait with two implementations, each behind
//! a cargo feature of the same name, that pass one contract suite
//! (`tests/contract/`):
//! - `DynamoStore` (`dynamo`): one DynamoDB table, on-demand. Production.
//! - `SqliteStore` (`sqlite`): embedded SQLite (WAL). The local server and
//!   single-shop self-hosting.
//!
//! Both keep the same promises: recording a response and counting it in the
//! rollups is one atomic step (a retry or a double tap counts once); scores
//! are read from per-day rollups, never by scanning responses; and a write
//! the store refuses is reported, never acknowledged.

// With no backend feature only the trait is built; the helpers both
// backends share are then idle.
#![cfg_attr(not(any(feature = "sqlite", feature = "dynamo")), allow(dead_code))]

mod change;
mod cursor;
#[cfg(feature = "dynamo")]
pub mod dynamo;
mod error;
mod filter;
#[cfg(feature = "sqlite")]
pub mod sqlite;

pub use change::StreamChange;
pub use cursor::Cursor;
#[cfg(feature = "dynamo")]
pub use dynamo::DynamoStore;
pub use error::StoreError;
pub use filter::{FollowUpFilter, ResponseFilter};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use feedback_core::abuse::{Quota, Secret};
use feedback_core::sending::{Cancel, Sending, Suppression};
use feedback_core::submission::SubmitRules;
use feedback_core::webhook::{Delivery, Webhook};
use feedback_core::{
    ApiKey, Code, CustomerRef, FollowUp, Invitation, Link, Rep, RepId, Response, Rollup, Settings,
    Slice,
};

/// The outcome of creating an invitation, which is idempotent by order id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvitationOutcome {
    Created(Invitation),
    /// An invitation for the same order already existed; this is it.
    Existing(Invitation),
    /// The customer was invited too recently: nothing was written. `last`
    /// is their latest invitation; they may be invited again from `until`.
    Throttled {
        last: Invitation,
        until: DateTime<Utc>,
    },
}

/// The per-contact throttle an invitation is created under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRule {
    /// The contact's keyed hash ([`feedback_core::abuse::Secret::contact`]).
    pub key: String,
    /// Until when this invitation keeps the contact from another.
    pub until: DateTime<Utc>,
    /// Invite even inside another invitation's period (and restart it).
    pub force: bool,
}

impl InvitationOutcome {
    pub fn invitation(&self) -> &Invitation {
        match self {
            InvitationOutcome::Created(i)
            | InvitationOutcome::Existing(i)
            | InvitationOutcome::Throttled { last: i, .. } => i,
        }
    }
}

/// The outcome of recording a customer's submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// First answer: stored and counted.
    Created(Response),
    /// A new answer inside the edit window: stored, counts moved.
    Replaced {
        previous: Box<Response>,
        current: Box<Response>,
    },
    /// The same answer as stored (a double tap or retry): nothing written.
    Unchanged(Response),
}

impl Recorded {
    /// The response as it is now stored.
    pub fn response(&self) -> &Response {
        match self {
            Recorded::Created(r) | Recorded::Unchanged(r) => r,
            Recorded::Replaced { current, .. } => current,
        }
    }
}

/// What an erasure removed. Counts stay: only personal data goes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Erased {
    /// Invitations whose customer ref was removed.
    pub invitations: u32,
    /// Responses whose comment was removed.
    pub comments: u32,
}

impl std::ops::AddAssign for Erased {
    fn add_assign(&mut self, other: Erased) {
        self.invitations += other.invitations;
        self.comments += other.comments;
    }
}

/// One page of a list, newest first, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

/// Largest page a list returns, whatever the client asks for.
pub const MAX_PAGE: usize = 500;

/// Webhook subscriptions and their deliveries: the notifier's side of a
/// store (every [`Store`] is one).
#[async_trait]
pub trait WebhookStore: Send + Sync {
    async fn create_webhook(&self, webhook: &Webhook) -> Result<(), StoreError>;

    /// Every webhook, oldest first.
    async fn list_webhooks(&self) -> Result<Vec<Webhook>, StoreError>;

    /// Deletes webhook `id`; false when there was none.
    async fn delete_webhook(&self, id: &str) -> Result<bool, StoreError>;

    /// Stores a new delivery; false, writing nothing, when one with its id
    /// exists (the same event was dispatched before: a stream retry).
    async fn add_delivery(&self, delivery: &Delivery) -> Result<bool, StoreError>;

    /// Replaces `previous` by `next` (one revision on).
    /// [`StoreError::Conflict`] when another worker changed it meanwhile.
    async fn update_delivery(&self, previous: &Delivery, next: &Delivery)
    -> Result<(), StoreError>;

    /// Webhook `webhook_id`'s deliveries, newest event first, at most `limit`.
    async fn list_deliveries(
        &self,
        webhook_id: &str,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Pending deliveries whose next attempt is due by `at`, longest
    /// waiting first, at most `limit`.
    async fn due_deliveries(
        &self,
        at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;
}

/// The invitations the product sends, and the contacts that opted out.
#[async_trait]
pub trait SendStore: Send + Sync {
    /// Invitations with a message due by `at` (or taken by a sender that
    /// has not finished), the longest waiting first, at most `limit`.
    async fn due_sends(
        &self,
        at: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Invitation>, StoreError>;

    /// Replaces invitation `code`'s sending state `previous` by `next`.
    /// [`StoreError::Conflict`] when it is no longer `previous` (another
    /// sender, an answer's cancellation or an erasure came first).
    async fn update_sending(
        &self,
        code: &Code,
        previous: &Sending,
        next: &Sending,
    ) -> Result<(), StoreError>;

    /// Puts the contact with keyed hash `hash` on the suppression list for
    /// `why` (again: no change, the first reason and time stay).
    async fn suppress(
        &self,
        hash: &str,
        why: Suppression,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Why the contact is on the suppression list; `None`: it is not.
    async fn suppression(&self, hash: &str) -> Result<Option<Suppression>, StoreError>;
}

/// Cancels, at `at` for `why`, what invitation `code` still had to send,
/// and with it the address or number; true when there was something.
pub async fn cancel_sending(
    store: &(impl InvitationStore + SendStore + ?Sized),
    code: &Code,
    why: Cancel,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(change_sending(store, code, |s| s.cancelled(at, why))
        .await?
        .is_some())
}

/// Replaces invitation `code`'s sending state by `change` of it; the new
/// state, or `None` when it had none or `change` left it as it was. Read
/// again and retried while a sender changes the state under it.
pub async fn change_sending(
    store: &(impl InvitationStore + SendStore + ?Sized),
    code: &Code,
    change: impl Fn(&Sending) -> Sending,
) -> Result<Option<Sending>, StoreError> {
    for _ in 0..5 {
        let Some(sending) = store.get_invitation(code).await?.and_then(|i| i.sending) else {
            return Ok(None);
        };
        let next = change(&sending);
        if next == sending {
            return Ok(None);
        }
        match store.update_sending(code, &sending, &next).await {
            Err(StoreError::Conflict(_)) => continue,
            done => return done.map(|()| Some(next)),
        }
    }
    Err(StoreError::Conflict(
        "the invitation's sending kept changing under this change".into(),
    ))
}

/// Invitations, idempotent by order.
#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Stores `invitation` and counts it in its day's rollups, unless an
    /// invitation for the same order id exists: then that one is returned.
    /// Under a `contact` rule, in the same atomic step, it is refused
    /// (throttled) while the contact's last invitation's period runs, unless
    /// forced; when stored, it starts the contact's period.
    async fn create_invitation(
        &self,
        invitation: &Invitation,
        contact: Option<&ContactRule>,
    ) -> Result<InvitationOutcome, StoreError>;

    async fn get_invitation(&self, code: &Code) -> Result<Option<Invitation>, StoreError>;
}

/// Customers' answers and their review.
#[async_trait]
pub trait ResponseStore: Send + Sync {
    /// Records `response` (built by [`Response::first`] at `now`), its
    /// rollup increments and its follow-up (opened, moved or closed per
    /// `rules.follow_up`) in one atomic step. A second submit for the same
    /// response id replaces the answer while `now` is inside
    /// `rules.edit_window` of the first, moving the counts; an identical one
    /// changes nothing. A first answer also counts once against each of
    /// `quotas`, in the same step, and is refused when one is full.
    ///
    /// An answer through a reusable link (`response.reusable`) needs that
    /// link, enabled and unexpired; any other needs its invitation.
    ///
    /// Errors: [`StoreError::NotFound`] without an invitation or link,
    /// [`StoreError::Expired`] for a first answer after expiry,
    /// [`StoreError::Disabled`] through a disabled link,
    /// [`StoreError::OverQuota`] when a quota is full,
    /// [`StoreError::WindowClosed`] for a change after the window.
    async fn record_response(
        &self,
        response: &Response,
        now: DateTime<Utc>,
        rules: &SubmitRules,
        quotas: &[Quota],
    ) -> Result<Recorded, StoreError>;

    /// Lets flagged response `id` (to `code`) into the scores: its counts
    /// move out of `flagged` and it opens its follow-up, in one atomic step,
    /// once however often it is asked. The response as now stored; `None`
    /// when there is none.
    async fn release_response(
        &self,
        code: &Code,
        id: &str,
        rules: &SubmitRules,
    ) -> Result<Option<Response>, StoreError>;

    /// The response to the one-use invitation `code`, if answered.
    async fn get_response(&self, code: &Code) -> Result<Option<Response>, StoreError>;

    /// Responses matching `filter`, newest first, `limit` (1..=[`MAX_PAGE`])
    /// at most, starting after `cursor`.
    async fn list_responses(
        &self,
        filter: &ResponseFilter,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<Response>, StoreError>;
}

/// How much of each rollup a read needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every figure; the optional questions' moments may be left out
    /// (scores, leaderboards). On DynamoDB they live in rows of their own,
    /// most of a busy day's bytes, which this read does not pay for.
    Figures,
    /// Every counter, the optional questions' moments too (drivers).
    WithQuestions,
}

/// The per-day rollups the figures are read from.
#[async_trait]
pub trait RollupStore: Send + Sync {
    /// The rollups of `slice` on the days `from..=to` that have any, by day.
    async fn read_rollups(
        &self,
        slice: &Slice,
        from: NaiveDate,
        to: NaiveDate,
        detail: Detail,
    ) -> Result<Vec<(NaiveDate, Rollup)>, StoreError>;
}

/// Follow-ups of unhappy answers.
#[async_trait]
pub trait FollowUpStore: Send + Sync {
    async fn get_follow_up(&self, id: &str) -> Result<Option<FollowUp>, StoreError>;

    /// Follow-ups matching `filter`, newest first (by when they opened),
    /// `limit` (1..=[`MAX_PAGE`]) at most, starting after `cursor`.
    async fn list_follow_ups(
        &self,
        filter: &FollowUpFilter,
        limit: usize,
        cursor: Option<&Cursor>,
    ) -> Result<Page<FollowUp>, StoreError>;

    /// The first `limit` (1..=[`MAX_PAGE`]) follow-ups matching `filter` to
    /// have opened, oldest first: the head of a queue.
    async fn oldest_follow_ups(
        &self,
        filter: &FollowUpFilter,
        limit: usize,
    ) -> Result<Vec<FollowUp>, StoreError>;

    /// Replaces `previous` by `next` (the same follow-up, one revision on)
    /// and moves its figures in the rollups, in one atomic step.
    /// [`StoreError::Conflict`] when it changed since `previous` was read.
    async fn update_follow_up(
        &self,
        previous: &FollowUp,
        next: &FollowUp,
    ) -> Result<(), StoreError>;
}

/// API keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn create_key(&self, key: &ApiKey) -> Result<(), StoreError>;

    /// The key whose secret hashes to `hash`, revoked or not.
    async fn find_key(&self, hash: &str) -> Result<Option<ApiKey>, StoreError>;

    /// Every key, revoked ones included, oldest first.
    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError>;

    /// Revokes key `id` (again is harmless), unless it is the last active
    /// admin key: checked and written in one atomic step, so concurrent
    /// revokes can never leave a tenant without an admin key.
    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<Revocation, StoreError>;

    /// Records that the key was used at `at`.
    async fn touch_key(&self, hash: &str, at: DateTime<Utc>) -> Result<(), StoreError>;
}

/// The tenant's settings and its secret.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The tenant's settings, `None` until first saved.
    async fn get_settings(&self) -> Result<Option<Settings>, StoreError>;

    async fn put_settings(&self, settings: &Settings) -> Result<(), StoreError>;

    /// The tenant's secret for keyed hashes and form tokens, made at random
    /// on first use.
    async fn secret(&self) -> Result<Secret, StoreError>;
}

/// Representatives.
#[async_trait]
pub trait RepStore: Send + Sync {
    /// Creates or replaces a rep; true when it was created.
    async fn put_rep(&self, rep: &Rep) -> Result<bool, StoreError>;

    async fn get_rep(&self, id: &RepId) -> Result<Option<Rep>, StoreError>;

    /// Every rep, by id.
    async fn list_reps(&self) -> Result<Vec<Rep>, StoreError>;
}

/// Reusable links, and the burst tallies kept on public answers.
#[async_trait]
pub trait LinkStore: Send + Sync {
    /// Stores a new reusable link.
    async fn create_link(&self, link: &Link) -> Result<(), StoreError>;

    async fn get_link(&self, code: &Code) -> Result<Option<Link>, StoreError>;

    /// Every reusable link, newest first.
    async fn list_links(&self) -> Result<Vec<Link>, StoreError>;

    /// Replaces `previous` by `next` (one revision on).
    /// [`StoreError::Conflict`] when it changed since `previous` was read.
    async fn update_link(&self, previous: &Link, next: &Link) -> Result<(), StoreError>;

    /// Counts one more public answer under each of `keys` (burst windows
    /// ending at `until`) and returns the counts. Not exactly-once: a retry
    /// may count twice, which only makes a flag likelier, never a score
    /// wrong.
    async fn tally(&self, keys: &[String], until: DateTime<Utc>) -> Result<Vec<u64>, StoreError>;
}

/// Erasing customers' personal data.
#[async_trait]
pub trait ErasureStore: Send + Sync {
    /// Erases the customer's personal data — the customer ref on each of
    /// their invitations and the comments of their responses — keeping
    /// every score and count — and their invitation throttle (`contact`, its
    /// key). Again, it finds nothing more to erase.
    async fn erase_customer(
        &self,
        customer_ref: &CustomerRef,
        contact: &str,
    ) -> Result<Erased, StoreError>;

    /// Erases the personal data of one invitation and its responses (its
    /// retention ran out). Again is harmless.
    async fn erase_invitation(&self, code: &Code) -> Result<Erased, StoreError>;
}

/// Every role at once: what the routers and the notifier take. Code that
/// needs less takes the role it needs (the authorizer a `KeyStore`).
pub trait Store:
    InvitationStore
    + ResponseStore
    + RollupStore
    + FollowUpStore
    + KeyStore
    + SettingsStore
    + RepStore
    + LinkStore
    + ErasureStore
    + WebhookStore
    + SendStore
{
}

impl<T> Store for T where
    T: InvitationStore
        + ResponseStore
        + RollupStore
        + FollowUpStore
        + KeyStore
        + SettingsStore
        + RepStore
        + LinkStore
        + ErasureStore
        + WebhookStore
        + SendStore
{
}

/// Links in the order `list_links` returns them.
pub(crate) fn sort_links(mut links: Vec<Link>) -> Vec<Link> {
    links.sort_by(|a, b| (b.created_at, &b.code).cmp(&(a.created_at, &a.code)));
    links
}

/// What revoking a key did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// The key, revoked now or before (its first revocation time kept).
    Revoked(ApiKey),
    /// No key has that id.
    NoSuchKey,
    /// It is the last active admin key, and stays active.
    LastAdmin,
}

/// Whether `key` is an active key with the admin scope.
pub(crate) fn is_active_admin(key: &ApiKey) -> bool {
    key.is_active() && key.scopes.contains(&feedback_core::Scope::Admin)
}

/// Keys in the order `list_keys` returns them.
pub(crate) fn sort_keys(mut keys: Vec<ApiKey>) -> Vec<ApiKey> {
    keys.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    keys
}
