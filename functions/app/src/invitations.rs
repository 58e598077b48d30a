//! Inviting customers: a batch of validated invitations, each idempotent
//! by its order, under the tenant's contact throttle and retention.

use chrono::{DateTime, Utc};
use feedback_core::abuse::Secret;
use feedback_core::model::InvitationSpec;
use feedback_core::sending::{Media, Recipient, Sending, When};
use feedback_core::time::TenantZone;
use feedback_core::{Attribution, Code, FieldError, Invitation, Rep, RepId, Rule, Settings};
use feedback_store::{
    ContactRule, InvitationOutcome, InvitationStore, RepStore, SendStore, StoreError,
};
use futures::StreamExt;
use std::collections::BTreeMap;

/// Invitations written at once within a batch.
const WRITE_CONCURRENCY: usize = 16;

/// One invitation to make.
pub struct Invite {
    /// Where its fields were in the request (`invitations[3].`, or empty),
    /// for naming a field in an error.
    pub path: String,
    pub spec: InvitationSpec,
    /// Invite even if the contact was invited within the throttle period.
    pub force: bool,
}

#[derive(Debug)]
pub enum InviteError {
    /// Invitations name reps that do not exist or are inactive, or ask to
    /// be sent where this deployment cannot send, or after they expire.
    Unprocessable(Vec<FieldError>),
    Store(StoreError),
}

impl From<StoreError> for InviteError {
    fn from(e: StoreError) -> Self {
        InviteError::Store(e)
    }
}

/// Why new ratings cannot name rep `id` (missing or inactive), if so.
async fn rep_problem(
    store: &(impl RepStore + ?Sized),
    id: &RepId,
) -> Result<Option<String>, StoreError> {
    Ok(match store.get_rep(id).await? {
        None => Some(format!(
            "no rep '{id}'; create it first with PUT /v1/reps/{id}"
        )),
        Some(rep) if !rep.active => Some(format!("rep '{id}' is inactive")),
        Some(_) => None,
    })
}

/// The reps `attribution` credits, the first named first, read at once; a
/// rep no longer stored is left out.
pub async fn read_reps(
    store: &(impl RepStore + ?Sized),
    attribution: &Attribution,
) -> Result<Vec<Rep>, StoreError> {
    let reads = attribution.reps().map(|id| store.get_rep(id));
    let reps = futures::future::try_join_all(reads).await?;
    Ok(reps.into_iter().flatten().collect())
}

/// An error for each field in `named` (its path, the rep it names) whose rep
/// does not exist or is inactive; each rep is read once.
pub async fn rep_problems<'a>(
    store: &(impl RepStore + ?Sized),
    named: impl IntoIterator<Item = (String, &'a RepId)>,
) -> Result<Vec<FieldError>, StoreError> {
    let mut wanted: BTreeMap<&RepId, Vec<String>> = BTreeMap::new();
    for (field, rep) in named {
        wanted.entry(rep).or_default().push(field);
    }
    let mut errors = Vec::new();
    for (id, fields) in wanted {
        if let Some(message) = rep_problem(store, id).await? {
            errors.extend(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(f, Rule::UnknownValue, message.clone())),
            );
        }
    }
    Ok(errors)
}

/// Makes `invites` at `at`: every rep they name must be active; then each
/// is created, or found by its order, or refused by its contact's throttle.
/// The outcomes come back in order.
#[tracing::instrument(skip_all, fields(invitations = invites.len()))]
pub async fn invite(
    store: &(impl InvitationStore + RepStore + SendStore + ?Sized),
    settings: &Settings,
    secret: &Secret,
    media: Media,
    zone: &TenantZone,
    invites: Vec<Invite>,
    at: DateTime<Utc>,
) -> Result<Vec<Result<InvitationOutcome, StoreError>>, InviteError> {
    check_reps(store, &invites).await?;
    let lifetime = settings.invitation_lifetime();
    let personal_until = settings.personal_until(at);
    let expires_at = personal_until.map_or(at + lifetime, |p| p.min(at + lifetime));
    check_sends(&invites, media, settings, zone, at, expires_at)?;
    let outcomes = futures::stream::iter(invites)
        .map(
            |Invite {
                 mut spec, force, ..
             }| {
                // The throttle is per contact: the customer ref, or else
                // the address or number the product sends to.
                let contact_of = (spec.customer_ref.as_ref().map(|c| c.as_str().to_owned()))
                    .or_else(|| spec.send.as_ref().map(|s| s.to.contact()));
                let contact =
                    settings
                        .contact_throttle()
                        .zip(contact_of)
                        .map(|(period, contact)| ContactRule {
                            key: secret.contact(&contact),
                            until: at + period,
                            force,
                        });
                let sending = spec
                    .send
                    .take()
                    .map(|s| schedule(at, s.to, s.when, settings, secret, zone));
                async move {
                    // A contact on the suppression list is never sent to,
                    // and the invitation says so (and why) from the start.
                    let sending = match sending {
                        Some(st) => Some(match store.suppression(&st.contact_hash).await? {
                            Some(why) => st.cancelled(at, why.into()),
                            None => st,
                        }),
                        None => None,
                    };
                    let code = Code::generate().map_err(|e| StoreError::Internal(e.to_string()))?;
                    let issued = spec.issue(code, at, lifetime, zone);
                    // No answer after the personal data's retention ends: its
                    // comment would outlive the erasure that already ran.
                    let invitation = Invitation {
                        personal_until,
                        expires_at: personal_until
                            .map_or(issued.expires_at, |p| p.min(issued.expires_at)),
                        sending,
                        ..issued
                    };
                    store.create_invitation(&invitation, contact.as_ref()).await
                }
            },
        )
        .buffered(WRITE_CONCURRENCY)
        .collect()
        .await;
    Ok(outcomes)
}

/// Refuses invitations asked to be sent by a medium this deployment has
/// no sender for, or at a time after they expire: never accepted and then
/// silently not sent.
fn check_sends(
    invites: &[Invite],
    media: Media,
    settings: &Settings,
    zone: &TenantZone,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), InviteError> {
    let mut errors = Vec::new();
    for invite in invites {
        let Some(send) = &invite.spec.send else {
            continue;
        };
        let medium = send.to.medium();
        if !media.sends(medium) {
            errors.push(FieldError::new(
                format!("{}recipient", invite.path),
                Rule::UnknownValue,
                format!(
                    "this deployment has no {} sender; its operator configures one (docs/operations.md, Sending)",
                    medium.name()
                ),
            ));
        }
        let due = settings.sending.first_due(at, send.when, zone);
        if due >= expires_at {
            let field = match send.when {
                When::At(_) => "send_at",
                When::After(_) => "send_after_minutes",
                When::Default => "recipient",
            };
            errors.push(FieldError::new(
                format!("{}{field}", invite.path),
                Rule::OutOfRange,
                format!(
                    "it would be sent at {}, after the invitation expires at {}",
                    due.to_rfc3339(),
                    expires_at.to_rfc3339()
                ),
            ));
        }
    }
    match errors.is_empty() {
        true => Ok(()),
        false => Err(InviteError::Unprocessable(errors)),
    }
}

/// Refuses invitations for reps that do not exist or are inactive.
async fn check_reps(
    store: &(impl RepStore + ?Sized),
    invites: &[Invite],
) -> Result<(), InviteError> {
    // Collected first: a lazy iterator's closures would make the future
    // too general for the handler's `Send` bound.
    let mut named = Vec::new();
    for invite in invites {
        for (field, rep) in invite.spec.attribution.named_reps() {
            named.push((format!("{}{field}", invite.path), rep));
        }
    }
    let errors = rep_problems(store, named).await?;
    match errors.is_empty() {
        true => Ok(()),
        false => Err(InviteError::Unprocessable(errors)),
    }
}

/// A first message for an invitation made at `created` to `to`, by the
/// tenant's rules: at `when`, past the quiet hours.
fn schedule(
    created: DateTime<Utc>,
    to: Recipient,
    when: When,
    settings: &Settings,
    secret: &Secret,
    zone: &TenantZone,
) -> Sending {
    let due = settings.sending.first_due(created, when, zone);
    let hash = secret.suppression(&to.contact());
    Sending::scheduled(to, hash, due)
}
